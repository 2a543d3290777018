package chaincode

import "github.com/eduledger/eduledger"

// Result types of the list and history transactions. They have the JSON shape of eduledger.Page
// and eduledger.HistoryEntry, which clients decode them into; they exist because contractapi names
// the schemas in the chaincode's metadata after Go type names, and the names of generic
// instantiations ("Page[github.com/…]") are not valid schema names.
type (
	// OrganizationPage is a page of organisations.
	OrganizationPage eduledger.Page[eduledger.Organization]
	// AccreditationPage is a page of accreditations.
	AccreditationPage eduledger.Page[eduledger.Accreditation]
	// IssuerKeyPage is a page of issuer keys.
	IssuerKeyPage eduledger.Page[eduledger.IssuerKey]
	// CredentialPage is a page of credential records.
	CredentialPage eduledger.Page[eduledger.CredentialAnchor]

	// OrganizationVersion is one committed version of an organisation.
	OrganizationVersion eduledger.HistoryEntry[eduledger.Organization]
	// AccreditationVersion is one committed version of an accreditation.
	AccreditationVersion eduledger.HistoryEntry[eduledger.Accreditation]
	// LearnerVersion is one committed version of a learner's public identity.
	LearnerVersion eduledger.HistoryEntry[eduledger.Learner]
	// CredentialVersion is one committed version of a credential's record.
	CredentialVersion eduledger.HistoryEntry[eduledger.CredentialAnchor]
)

// versions converts history entries to a transaction's result type.
func versions[V any, T any](h []eduledger.HistoryEntry[T], err error, conv func(eduledger.HistoryEntry[T]) V) ([]V, error) {
	if err != nil {
		return nil, err
	}
	out := make([]V, len(h))
	for i, e := range h {
		out[i] = conv(e)
	}
	return out, nil
}
