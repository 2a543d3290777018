package eduledger

// StaffRole is the role a staff member acts in. It travels in the staff certificate as the Fabric
// attribute AttrRole, beside AttrOrg naming the organisation the staff member works for.
type StaffRole string

// Staff roles.
const (
	// StaffAdmin manages the organisation itself: its keys and, for the governing organisation, the
	// network's organisations, accreditations and rules.
	StaffAdmin StaffRole = "admin"
	// StaffRegistrar manages learners and the status of credentials.
	StaffRegistrar StaffRole = "registrar"
	// StaffIssuer issues (anchors) credentials and learning records.
	StaffIssuer StaffRole = "issuer"
)

// Valid reports whether r is a known staff role.
func (r StaffRole) Valid() bool {
	return r == StaffAdmin || r == StaffRegistrar || r == StaffIssuer
}

// Names of the attributes in a staff certificate's Fabric attribute extension (OID
// 1.2.3.4.5.6.7.8.1), read in the chaincode through the cid package.
const (
	AttrOrg  = "eduledger.org"
	AttrRole = "eduledger.role"
)
