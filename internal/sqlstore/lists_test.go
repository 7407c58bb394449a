package sqlstore

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// TestListLimits keeps the list texts' LIMIT literals one more than the
// page sizes they serve (one more tells the page there are more).
func TestListLimits(t *testing.T) {
	assert.Equal(t, strconv.Itoa(signoff.GrantsLimit+1), grantsLimitLiteral)
	assert.Equal(t, strconv.Itoa(signoff.RequestsPageSize+1), requestsLimitLiteral)
	assert.True(t, strings.HasSuffix(ListGrants, "LIMIT "+grantsLimitLiteral))
	assert.True(t, strings.HasSuffix(ListRequests, "LIMIT "+requestsLimitLiteral))
}

// TestBind pins how the page reads run a shared text: tables unqualified,
// each :name a ? bound in the order it appears, every name given.
func TestBind(t *testing.T) {
	q, args, err := Bind("SELECT a FROM main.t WHERE (:x = '' OR b = :x) AND c = :y_2", map[string]any{"x": "1", "y_2": 2})
	require.NoError(t, err)
	assert.Equal(t, "SELECT a FROM t WHERE (? = '' OR b = ?) AND c = ?", q)
	assert.Equal(t, []any{"1", "1", 2}, args)

	_, _, err = Bind("SELECT :x, :z", map[string]any{"x": 1})
	assert.ErrorContains(t, err, "no value for :z")

	for _, text := range []string{ListGrants, ListRequests} {
		q, _, err := Bind(text, map[string]any{"product_id": "", "user_name": "", "status": "", "classification": "",
			"requester_like": "", "from_ts": NoFrom, "to_ts": NoTo, "after_id": ""})
		require.NoError(t, err)
		assert.NotContains(t, q, "main.", "the page reads name the API views")
		assert.NotContains(t, q, ":", "every value is bound")
	}
}

// TestRequesterLike: part of a name, LIKE's wildcards and the escape
// character taken as text.
func TestRequesterLike(t *testing.T) {
	assert.Equal(t, "", RequesterLike(""))
	assert.Equal(t, "%ali%", RequesterLike("ali"))
	assert.Equal(t, "%a!%b!_c!!%", RequesterLike("a%b_c!"))
}
