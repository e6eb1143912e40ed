package store

import "fmt"

// RegisterAnswerMAC returns a keyed MAC of msg under tenantID's index key
// (HMAC-SHA256, the blind-index key with its own purpose label). The web
// side signs a national register answer it showed with it, so that only an
// answer Kluis showed can be saved into a file as "from the register"
// (REG-4: the answer itself is not kept in between), on whichever node the
// save arrives.
func (db *DB) RegisterAnswerMAC(tenantID string, msg []byte) ([]byte, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	mac, err := db.keys.BlindIndex(tenantID, "register-answer", msg)
	if err != nil {
		return nil, fmt.Errorf("register answer MAC: %w", err)
	}
	return mac, nil
}
