package jsonscan

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var validityCases = []string{
	`{}`, `[]`, `0`, `-0`, `1.5e10`, `-1.0E-2`, `"a"`, `true`, `false`, `null`,
	` {"a" : [1, 2, {"b": null}], "c": "\u00e9\n"} `,
	`01`, `1.`, `.5`, `-`, `+1`, `1e`, `{"a"}`, `{"a":}`, `{,}`, `[1,]`, `[1 2]`,
	`{"a":1,}`, `"\x"`, `"\u12"`, "\"a\tb\"", `tru`, `nul`, `{"a":1}}`, `[`, `"`, ``,
	`{"a":1} {"b":2}`, `[[[[]]]]`, `"\ud83d\ude00"`,
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range validityCases {
		assert.Equal(t, json.Valid([]byte(c)), Valid([]byte(c)), "%q", c)
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	assert.False(t, Valid([]byte(deep)), "nesting beyond the limit is rejected, not a stack overflow")
}

func TestPath(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"result":{"event":{"eventId":"e1","eventType":"temperature","data":{"t":{"value":21.5}}}},"x":[1,{"y":2}]}`)
	ev, ok := Path(doc, "result", "event")
	require.True(t, ok)
	assert.Equal(t, `{"eventId":"e1","eventType":"temperature","data":{"t":{"value":21.5}}}`, string(ev))
	typ, ok := Member(ev, "eventType")
	require.True(t, ok)
	s, ok := String(typ)
	require.True(t, ok)
	assert.Equal(t, "temperature", s)
	_, ok = Path(doc, "result", "missing")
	assert.False(t, ok)
	_, ok = Member([]byte(`[1,2]`), "a")
	assert.False(t, ok)
	v, ok := Member([]byte(`{"a":1,"a":2}`), "a")
	require.True(t, ok)
	assert.Equal(t, "2", string(v), "the last duplicate wins, as in JSON.parse")
	v, ok = Member([]byte(`{"\u0061":3}`), "a")
	require.True(t, ok)
	assert.Equal(t, "3", string(v))
}

func TestScan(t *testing.T) {
	t.Parallel()
	out := make([][]byte, 3)
	require.True(t, Scan([]byte(` {"error":{"code":408},"x":1,"result":{"event":{}},"x":[2]} `), []string{"error", "result", "x"}, out))
	assert.Equal(t, `{"code":408}`, string(out[0]))
	assert.Equal(t, `{"event":{}}`, string(out[1]))
	assert.Equal(t, `[2]`, string(out[2]), "the last duplicate wins")
	require.True(t, Scan([]byte(`[1,2]`), []string{"a"}, out[:1]))
	assert.Nil(t, out[0])
	assert.False(t, Scan([]byte(`{"a":1} x`), []string{"a"}, out[:1]))
	assert.Nil(t, out[0], "nothing is reported from an invalid document")
	assert.False(t, Scan([]byte(`{"a":1,}`), []string{"a"}, out[:1]))
	for _, c := range validityCases {
		assert.Equal(t, Valid([]byte(c)), Scan([]byte(c), []string{"a"}, out[:1]), "%q", c)
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`"plain"`:         "plain",
		`"a\"b\\c\/d"`:    `a"b\c/d`,
		`"\n\t\r\b\f"`:    "\n\t\r\b\f",
		`"\u00e9"`:        "é",
		`"\ud83d\ude00"`:  "😀",
		`"\ud83d"`:        "\uFFFD",
		`"\ud83dx"`:       "\uFFFDx",
		`"\ude00\ud83d"`:  "\uFFFD\uFFFD",
		`"{\"data\":{}}"`: `{"data":{}}`,
	}
	for in, want := range cases {
		got, ok := String([]byte(in))
		require.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{`"\q"`, `x`, `"`, `"\u12"`} {
		_, ok := String([]byte(bad))
		assert.False(t, ok, bad)
	}
}

func TestInt32(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int32{"401": 401, "-3": -3, "408.0": 408, "5e2": 500, "4.01E+2": 401, "0": 0, "-0.0": 0,
		"2147483647": math.MaxInt32, "-2147483648": math.MinInt32, "0e99999999999": 0, "123456.789e3": 123456789,
		"0.000401e6": 401, "2.147483647e9": math.MaxInt32, "1E+9": 1e9} {
		got, ok := Int32([]byte(in))
		require.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"1.5", `"1"`, "x", "", "-", "01", "1.", ".5", "1e", "+1", "2147483648", "-2147483649", "1e10",
		"1e999999999999", "true", "401.00000000000000001", "1e-400", "2.147483648e9"} {
		_, ok := Int32([]byte(bad))
		assert.False(t, ok, bad)
	}
}

// int32Ref is what Int32 must answer, in exact arithmetic: a JSON number
// whose value is an integer in int32's range.
func int32Ref(tok string) (int32, bool) {
	if !Valid([]byte(tok)) || strings.TrimSpace(tok) != tok || tok[0] == '"' || tok[0] == '[' || tok[0] == '{' || tok[0] == 't' || tok[0] == 'f' || tok[0] == 'n' {
		return 0, false
	}
	if i := strings.IndexAny(tok, "eE"); i >= 0 { // keep big.Rat away from giant exponents
		if m, _ := new(big.Rat).SetString(tok[:i]); m.Sign() == 0 {
			return 0, true
		}
		if e, err := strconv.Atoi(tok[i+1:]); err != nil || e > 400 || e < -400 {
			return 0, false // 10^400 at least, or a fraction
		}
	}
	r, ok := new(big.Rat).SetString(tok)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	n := r.Num().Int64()
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int32(n), true
}

func FuzzInt32(f *testing.F) {
	for _, c := range []string{"401", "-0.0", "1e-400", "2147483647.9999999", "0.000401e6", "5e2", "1.5", "10e-1"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := int32Ref(s)
		got, ok := Int32([]byte(s))
		if ok != wantOK || got != want {
			t.Fatalf("Int32(%q) = %d, %v; exact arithmetic says %d, %v", s, got, ok, want, wantOK)
		}
	})
}

func FuzzValid(f *testing.F) {
	for _, c := range validityCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := Valid(b)
		require.Equal(t, json.Valid(b), valid, "%q", b)
		out := make([][]byte, 2)
		require.Equal(t, valid, Scan(b, []string{"a", "b"}, out), "%q", b)
		if valid {
			for i, k := range []string{"a", "b"} {
				m, ok := Member(b, k)
				require.Equal(t, ok, out[i] != nil, "%q %s", b, k)
				require.Equal(t, string(m), string(out[i]), "%q %s", b, k)
			}
		}
	})
}

// FuzzString checks String against encoding/json on string tokens that are
// valid JSON and valid UTF-8 (encoding/json would repair invalid UTF-8;
// String leaves that to the caller's decoder).
func FuzzString(f *testing.F) {
	for _, c := range []string{`"plain"`, `"a\"b\\c\/d"`, `"\n\t\r\b\f"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`,
		`"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, `"\ud83d\"`} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		got, ok := String(tok)
		if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' || !json.Valid(tok) || !utf8.Valid(tok) {
			return
		}
		var want string
		require.NoError(t, json.Unmarshal(tok, &want))
		require.True(t, ok, "%q", tok)
		require.Equal(t, want, got, "%q", tok)
	})
}
