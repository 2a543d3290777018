package eduledger

// Names of the chaincode events. Every transaction that changes the ledger emits exactly one event
// (Fabric keeps one per transaction); its payload is the JSON of the record after the change, which
// never holds personal data.
const (
	// EventLedgerInitialised carries the governing Organization fixed by the init transaction.
	EventLedgerInitialised = "LedgerInitialised"
	// EventOrganizationAdmitted, …Updated, …Suspended and …Reinstated carry the Organization.
	EventOrganizationAdmitted   = "OrganizationAdmitted"
	EventOrganizationUpdated    = "OrganizationUpdated"
	EventOrganizationSuspended  = "OrganizationSuspended"
	EventOrganizationReinstated = "OrganizationReinstated"
	// EventAccreditationGranted and EventAccreditationWithdrawn carry the Accreditation.
	EventAccreditationGranted   = "AccreditationGranted"
	EventAccreditationWithdrawn = "AccreditationWithdrawn"
	// EventIssuerKeyRegistered and EventIssuerKeyRevoked carry the IssuerKey; EventIssuerKeyRotated
	// carries a KeyRotation.
	EventIssuerKeyRegistered = "IssuerKeyRegistered"
	EventIssuerKeyRotated    = "IssuerKeyRotated"
	EventIssuerKeyRevoked    = "IssuerKeyRevoked"
	// EventLearnerRegistered, …RolesChanged, …HolderKeysChanged, …Suspended and …Reinstated carry
	// the public Learner.
	EventLearnerRegistered        = "LearnerRegistered"
	EventLearnerRolesChanged      = "LearnerRolesChanged"
	EventLearnerHolderKeysChanged = "LearnerHolderKeysChanged"
	EventLearnerSuspended         = "LearnerSuspended"
	EventLearnerReinstated        = "LearnerReinstated"
	// EventCredentialAnchored carries the CredentialAnchor, EventBatchAnchored the BatchAnchor, and
	// EventCredentialStatusChanged the CredentialAnchor after the change (for a batch member, its
	// status record).
	EventCredentialAnchored      = "CredentialAnchored"
	EventBatchAnchored           = "BatchAnchored"
	EventCredentialStatusChanged = "CredentialStatusChanged"
)
