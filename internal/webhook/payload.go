package webhook

import (
	"encoding/json"
	"time"
)

// Submission is what an event says about a submission: identifiers and
// state, never its content. The case system fetches the rest through the
// authenticated JSON API, where the read is audited.
type Submission struct {
	ID          string `json:"id"`
	Reference   string `json:"reference"`
	FormKey     string `json:"form_key"`
	FormVersion int    `json:"form_version"`
	Status      string `json:"status"`
}

// Payload is the JSON body of a delivery (see docs/webhooks.md).
type Payload struct {
	ID        string     `json:"id"`   // the event id, also the webhook-id header
	Type      string     `json:"type"` // one of Events
	Timestamp time.Time  `json:"timestamp"`
	Data      Submission `json:"data"`
}

// Body encodes the payload of event id of type about s at t.
func Body(id, typ string, t time.Time, s Submission) ([]byte, error) {
	return json.Marshal(Payload{ID: id, Type: typ, Timestamp: t.UTC().Truncate(time.Millisecond), Data: s})
}
