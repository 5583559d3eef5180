package jsonv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// docGen writes random JSON texts by hand (not through this package's
// encoders) so that they exercise the parser and the encoders
// independently: random white space, escapes in both hex cases, surrogate
// pairs and lone surrogates, integer-like keys, duplicate keys and every
// shape of number literal.
type docGen struct {
	r *rand.Rand
	// lone enables lone surrogate escapes, which PHP rejects.
	lone bool
	// overflow enables literals such as 1e400 that overflow float64.
	overflow bool
}

func newDocGen(seed uint64) *docGen {
	return &docGen{r: rand.New(rand.NewPCG(seed, 0x6a736f6e76))}
}

func (g *docGen) ws(b *strings.Builder) {
	if g.r.IntN(4) != 0 {
		return
	}
	for n := g.r.IntN(3); n >= 0; n-- {
		b.WriteByte(" \t\n\r"[g.r.IntN(4)])
	}
}

// doc returns one document whose top-level value is an object.
func (g *docGen) doc() string {
	var b strings.Builder
	g.ws(&b)
	g.object(&b, 0)
	g.ws(&b)
	return b.String()
}

func (g *docGen) value(b *strings.Builder, depth int) {
	k := g.r.IntN(10)
	if depth >= 5 && k < 3 {
		k = 3 + g.r.IntN(7)
	}
	switch k {
	case 0, 1:
		g.object(b, depth+1)
	case 2:
		g.array(b, depth+1)
	case 3, 4:
		g.number(b)
	case 5, 6, 7:
		g.str(b, false)
	case 8:
		b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	default:
		g.number(b)
	}
}

var testKeys = []string{
	"0", "1", "2", "10", "01", "-1", "-0", "1.5", "4294967294", "4294967295",
	"9007199254740993", "", "a", "b", "iccid", "__proto__", "data", "a_b",
	"é", "😀", "key with space", "k\"q", "x/y", "toString", "constructor",
}

func (g *docGen) key(b *strings.Builder) {
	if g.r.IntN(3) == 0 {
		g.str(b, true)
		return
	}
	writeRawString(b, testKeys[g.r.IntN(len(testKeys))])
}

// writeRawString writes s quoted with a plain escaping of " and \ only;
// s must not hold control characters.
func writeRawString(b *strings.Builder, s string) {
	b.WriteByte('"')
	b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
	b.WriteByte('"')
}

func (g *docGen) object(b *strings.Builder, depth int) {
	b.WriteByte('{')
	g.ws(b)
	n := g.r.IntN(6)
	listLike := g.r.IntN(6) == 0
	var prev []string
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
			g.ws(b)
		}
		switch {
		case listLike:
			writeRawString(b, strconv.Itoa(i))
		case len(prev) > 0 && g.r.IntN(8) == 0: // duplicate key
			b.WriteString(prev[g.r.IntN(len(prev))])
		default:
			var kb strings.Builder
			g.key(&kb)
			b.WriteString(kb.String())
			prev = append(prev, kb.String())
		}
		g.ws(b)
		b.WriteByte(':')
		g.ws(b)
		g.value(b, depth)
		g.ws(b)
	}
	b.WriteByte('}')
}

func (g *docGen) array(b *strings.Builder, depth int) {
	b.WriteByte('[')
	g.ws(b)
	n := g.r.IntN(6)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
			g.ws(b)
		}
		g.value(b, depth)
		g.ws(b)
	}
	b.WriteByte(']')
}

var specialNumbers = []string{
	"0", "-0", "0.0", "-0.0", "5.50", "5.0", "0.1", "1e21", "1e-7", "1.5e-7",
	"0.000001", "0.0000001", "123456789012345678901", "8944000000000000001",
	"9007199254740993", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551616",
	"1e16", "1e17", "1E+17", "0.0001", "0.00001", "1e-5", "5e-324",
	"2.2250738585072014e-308", "1.7976931348623157e308", "1e-400", "-1e-400",
	"100", "1e2", "1E2", "12.5e1", "999999999999999999999", "1e20",
	"9.999999999999999e20", "4.35", "0.30000000000000004", "1e0", "-1e-0",
	"123e-20", "1.0e+25", "100000000000000000000", "1000000000000000000000",
}

func (g *docGen) number(b *strings.Builder) {
	b.WriteString(g.numberLiteral())
}

func (g *docGen) numberLiteral() string {
	switch g.r.IntN(7) {
	case 0:
		return specialNumbers[g.r.IntN(len(specialNumbers))]
	case 1: // integers of every length
		s := g.digits(1 + g.r.IntN(25))
		if g.r.IntN(3) == 0 {
			s = "-" + s
		}
		return s
	case 2: // decimals, often with trailing zeros
		s := g.digits(1+g.r.IntN(6)) + "." + g.digitsAny(1+g.r.IntN(8))
		if g.r.IntN(3) == 0 {
			s += "00"
		}
		if g.r.IntN(3) == 0 {
			s = "-" + s
		}
		return s
	case 3: // exponents
		s := g.digits(1 + g.r.IntN(4))
		if g.r.IntN(2) == 0 {
			s += "." + g.digitsAny(1+g.r.IntN(5))
		}
		s += []string{"e", "E"}[g.r.IntN(2)] + []string{"", "+", "-"}[g.r.IntN(3)]
		limit := 330
		if !g.overflow {
			limit = 290
		}
		return s + strconv.Itoa(g.r.IntN(limit))
	case 4: // random float64 bit patterns, shortest form
		for {
			f := math.Float64frombits(g.r.Uint64())
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				return strconv.FormatFloat(f, []byte("eEg")[g.r.IntN(3)], -1, 64)
			}
		}
	case 5: // random float64 around human scales
		f := (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.IntN(44)-22))
		return strconv.FormatFloat(f, 'g', -1, 64)
	default: // small integers and cents
		if g.r.IntN(2) == 0 {
			return strconv.Itoa(g.r.IntN(2000) - 1000)
		}
		return fmt.Sprintf("%d.%02d", g.r.IntN(100), g.r.IntN(100))
	}
}

// digits returns n digits without a leading zero (unless n is 1).
func (g *docGen) digits(n int) string {
	if n == 1 {
		return strconv.Itoa(g.r.IntN(10))
	}
	return strconv.Itoa(1+g.r.IntN(9)) + g.digitsAny(n-1)
}

func (g *docGen) digitsAny(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

var literalRunes = []string{
	"é", "ß", "中", "😀", "🇪🇸", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u007f",
	"\u0080", "\u00a0", "\U0010ffff", "<", ">", "&", "'", "/", "</script>", "=", "_",
}

func (g *docGen) str(b *strings.Builder, short bool) {
	b.WriteByte('"')
	n := g.r.IntN(12)
	if short {
		n = g.r.IntN(4)
	}
	for i := 0; i < n; i++ {
		switch g.r.IntN(12) {
		case 0, 1, 2, 3:
			c := byte(0x20 + g.r.IntN(0x5f)) // printable ASCII
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case 4, 5:
			b.WriteString(literalRunes[g.r.IntN(len(literalRunes))])
		case 6:
			b.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[g.r.IntN(8)])
		case 7: // control characters and others as \u escapes
			r := g.r.IntN(0x30)
			if g.r.IntN(2) == 0 {
				r = g.r.IntN(0xD800)
			}
			b.WriteString(g.u4(r))
		case 8: // surrogate pair as escapes
			c := 0x10000 + g.r.IntN(0x100000)
			b.WriteString(g.u4(0xD800 + (c-0x10000)>>10))
			b.WriteString(g.u4(0xDC00 + (c-0x10000)&0x3FF))
		case 9: // BMP above the surrogates
			b.WriteString(g.u4(0xE000 + g.r.IntN(0x2000)))
		case 10: // lone surrogates
			if g.lone {
				b.WriteString(g.u4(0xD800 + g.r.IntN(0x800)))
			}
		default:
			b.WriteString("plain")
		}
	}
	b.WriteByte('"')
}

func (g *docGen) u4(r int) string {
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf(`\u%04x`, r)
	}
	return fmt.Sprintf(`\u%04X`, r)
}

// numberArray returns a document holding n random number literals.
func (g *docGen) numberArray(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.numberLiteral()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// corpus returns n documents from seed plus 300-number arrays (one for
// every 24 documents, at least 10); lone and
// overflow select the rarer inputs that one of the runtimes rejects.
func corpus(seed uint64, n int, lone, overflow bool) []string {
	g := newDocGen(seed)
	var docs []string
	for i := 0; i < n; i++ {
		g.lone = lone && i%10 == 0
		g.overflow = overflow && i%10 == 5
		docs = append(docs, g.doc())
	}
	g.lone, g.overflow = false, false
	for i := 0; i < max(10, n/24); i++ {
		docs = append(docs, g.numberArray(300))
	}
	return docs
}
