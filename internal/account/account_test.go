package account

import (
	"strings"
	"testing"
)

// TestClauseUSR5_TwoLevelsOfRights: the permission table separates
// administrators from users, and the DPO only reads.
func TestClauseUSR5_TwoLevelsOfRights(t *testing.T) {
	for _, tt := range []struct {
		role Role
		p    Permission
		want bool
	}{
		{RoleAdmin, ManageUsers, true},
		{RoleUser, ManageUsers, false},
		{RoleDPO, ManageUsers, false},
		{RoleUser, HandleSubmissions, true},
		{RoleDPO, HandleSubmissions, false},
		{RoleDPO, ViewAudit, true},
		{RoleUser, ViewAudit, false},
		{RoleDPO, EditRegister, true},
		{RoleAdmin, EditSettings, true},
		{RoleDPO, EditSettings, false},
		{RoleDPO, ViewSettings, true},
		{RoleUser, ViewSettings, false},
		{Role("operator"), ViewRegister, false},
		{Role(""), ManageOwnAccount, false},
	} {
		if got := Can(tt.role, tt.p); got != tt.want {
			t.Errorf("Can(%s, %s) = %v, want %v", tt.role, tt.p, got, tt.want)
		}
	}
	for _, r := range Roles {
		if !Can(r, ManageOwnAccount) {
			t.Errorf("%s cannot manage their own account", r)
		}
	}
}

func TestClauseUSR2_MFARequiredForAdminAndDPO(t *testing.T) {
	if !RoleAdmin.RequiresMFA(false) || !RoleDPO.RequiresMFA(false) || RoleUser.RequiresMFA(false) || !RoleUser.RequiresMFA(true) {
		t.Fatal("MFA requirement wrong")
	}
}

func TestInviteValidate(t *testing.T) {
	err := Invite{Email: "nope", Role: "boss", Lang: "de"}.Normalize().Validate()
	ve, ok := err.(*ValidationError)
	if !ok {
		t.Fatalf("want ValidationError, got %v", err)
	}
	for _, f := range []string{"email", "name", "role", "lang"} {
		if ve.Fields[f] == "" {
			t.Errorf("no message for %s", f)
		}
	}
	if err := (Invite{Email: "An.Peeters@gent.be", Name: "An Peeters", Role: RoleAdmin}).Normalize().Validate(); err != nil {
		t.Fatal(err)
	}
	if r, ok := ParseRole("Beheerder"); !ok || r != RoleAdmin {
		t.Fatal("Dutch role name not accepted")
	}
}

func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	a, _ := NewToken()
	b, _ := NewToken()
	if a.Plain == b.Plain || len(a.Plain) != 43 {
		t.Fatalf("tokens: %q %q", a.Plain, b.Plain)
	}
	if string(HashToken(a.Plain)) != string(a.Hash) || strings.Contains(string(a.Hash), a.Plain) {
		t.Fatal("hash does not match or contains the token")
	}
}
