package seclog

import "github.com/google/uuid"

// NewEventID returns a random (version 4) UUID in its canonical text form, the default event.id.
// A random UUID from crypto/rand rather than a counter or math/rand: ids must not collide across
// processes and restarts, or the pipeline's de-duplication would drop distinct events.
// github.com/google/uuid adds nothing to an OT service's build: the OTel SDK's resource package,
// which seclog already imports, depends on it.
func NewEventID() string { return uuid.NewString() }
