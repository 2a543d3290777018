package verifier

import (
	"sync"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/holder"
)

// Challenge is a nonce a holder signs, with this verifier's domain, to present credentials: it
// proves the presentation was made for this verifier, now, and is used once.
type Challenge struct {
	Challenge string    `json:"challenge"`
	Domain    string    `json:"domain"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// challenges are the outstanding challenges: each is accepted once, before it expires.
type challenges struct {
	mu       sync.Mutex
	open     map[string]time.Time
	lifetime time.Duration
	max      int
	now      func() time.Time
}

func newChallenges(lifetime time.Duration, max int, now func() time.Time) *challenges {
	return &challenges{open: map[string]time.Time{}, lifetime: lifetime, max: max, now: now}
}

// issue returns a fresh challenge and when it expires. Errors: UNAVAILABLE when too many are
// outstanding.
func (c *challenges) issue() (string, time.Time, error) {
	nonce, err := holder.NewChallenge()
	if err != nil {
		return "", time.Time{}, eduledger.Errorf(eduledger.EINTERNAL, "new challenge: %w", err)
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.open) >= c.max {
		for k, exp := range c.open {
			if !now.Before(exp) {
				delete(c.open, k)
			}
		}
		if len(c.open) >= c.max {
			return "", time.Time{}, eduledger.Errorf(eduledger.EUNAVAILABLE, "too many presentation challenges are outstanding; try again shortly")
		}
	}
	exp := now.Add(c.lifetime)
	c.open[nonce] = exp
	return nonce, exp, nil
}

// consume accepts a challenge once. It reports false for one never issued, expired or used.
func (c *challenges) consume(nonce string) bool {
	if nonce == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.open[nonce]
	if !ok {
		return false
	}
	delete(c.open, nonce)
	return c.now().Before(exp)
}
