package condition

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// The seed's shorthand: `key=value AND key=value ...`. The seed split it with str.split('=') (a value
// containing '=' broke it) and compared against the seed's flat dict keys. Here the key is everything
// before the first '=', the value everything after it up to the next " AND " (so '=' may appear in a
// value), a value may be quoted ("..." with Go escapes, or '...' verbatim) to hold " AND " or
// surrounding spaces, and the key is mapped to the schema.

var (
	shorthandStart = regexp.MustCompile(`^\s*[A-Za-z_@][A-Za-z0-9_.@-]*\s*=([^=~]|$)`)
	keyChars       = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_.@-]*`)
	andSep         = regexp.MustCompile(`\s+AND(\s+|$)`)
	seedAliases    = secevent.SeedAliases()
)

// isShorthand reports whether src is written in the shorthand: it starts with `key=` where the '='
// is not part of '==' (expr-lang has no single '=' outside `let`, which a key cannot start with).
func isShorthand(src string) bool {
	return shorthandStart.MatchString(src) && !strings.HasPrefix(strings.TrimSpace(src), "let ")
}

// severityRanges maps the level names a shorthand may compare `severity` with (Python's, as in the
// seed, and OpenTelemetry's) to SeverityNumber ranges.
var severityRanges = map[string][2]int{
	"TRACE": {1, 4}, "DEBUG": {5, 8}, "INFO": {9, 12}, "WARN": {13, 16}, "WARNING": {13, 16},
	"ERROR": {17, 20}, "FATAL": {21, 24}, "CRITICAL": {21, 24},
}

func shorthandErr(src string, pos int, format string, args ...any) *Error {
	return &Error{Line: 1, Column: utf8.RuneCountInString(src[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func translateShorthand(src string) (string, error) {
	if strings.ContainsAny(src, "\r\n") {
		return "", shorthandErr(src, strings.IndexAny(src, "\r\n"), "a shorthand condition is one line")
	}
	var terms []string
	i := 0
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		keyPos := i
		key := keyChars.FindString(src[i:])
		if key == "" {
			return "", shorthandErr(src, i, "expected a key (letters, digits, '_', '.', '-')")
		}
		i += len(key)
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		if i >= len(src) || src[i] != '=' {
			return "", shorthandErr(src, i, "expected '=' after key %q", key)
		}
		i++
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		valPos := i
		var value string
		if i < len(src) && (src[i] == '"' || src[i] == '\'') {
			q := src[i]
			j := i + 1
			for j < len(src) && src[j] != q {
				if q == '"' && src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return "", shorthandErr(src, i, "unterminated quoted value (missing closing %c)", q)
			}
			raw := src[i : j+1]
			if q == '"' {
				v, err := strconv.Unquote(raw)
				if err != nil {
					return "", shorthandErr(src, i, "invalid quoted value %s: %v", raw, err)
				}
				value = v
			} else {
				value = raw[1 : len(raw)-1]
			}
			i = j + 1
			rest := src[i:]
			if strings.TrimSpace(rest) != "" {
				loc := andSep.FindStringIndex(rest)
				if loc == nil || loc[0] != 0 {
					return "", shorthandErr(src, i+len(rest)-len(strings.TrimLeft(rest, " \t")), "expected AND or the end after the quoted value")
				}
			}
		} else {
			end := len(src)
			if loc := andSep.FindStringIndex(src[i:]); loc != nil {
				end = i + loc[0]
			}
			value = strings.TrimRight(src[i:end], " \t")
			if value == "" {
				return "", shorthandErr(src, valPos, "empty value for key %q (quote it, \"\", to compare with the empty string)", key)
			}
			i = end
		}
		term, err := shorthandTerm(src, key, value, keyPos, valPos)
		if err != nil {
			return "", err
		}
		terms = append(terms, term)

		rest := src[i:]
		if strings.TrimSpace(rest) == "" {
			break
		}
		// Both value forms stop at a separator or the end, so rest starts with the separator.
		loc := andSep.FindStringIndex(rest)
		andPos := i + loc[0] + strings.Index(rest[loc[0]:loc[1]], "AND")
		i += loc[1]
		if strings.TrimSpace(src[i:]) == "" {
			return "", shorthandErr(src, andPos, "expected a condition after AND")
		}
	}
	return strings.Join(terms, " && "), nil
}

// shorthandTerm translates one key=value into an expression over the schema.
func shorthandTerm(src, key, value string, keyPos, valPos int) (string, *Error) {
	if !utf8.ValidString(value) {
		// OTLP strings are UTF-8, and expr-lang string literals cannot hold other bytes.
		return "", shorthandErr(src, valPos, "the value of %q is not valid UTF-8", key)
	}
	switch key {
	case "message", "msg", "body", "Body":
		return "body == " + strconv.Quote(value), nil
	case "severity", "levelname", "level":
		r, ok := severityRanges[strings.ToUpper(value)]
		if !ok {
			return "", shorthandErr(src, valPos, "unknown severity %q (one of TRACE, DEBUG, INFO, WARN, WARNING, ERROR, FATAL, CRITICAL)", value)
		}
		return fmt.Sprintf("(severity_number >= %d && severity_number <= %d)", r[0], r[1]), nil
	case "severity_text":
		return "severity_text == " + strconv.Quote(value), nil
	case "event_name", "EventName":
		return "event_name == " + strconv.Quote(value), nil
	case "timestamp", "Timestamp", "SeverityNumber", "severity_number":
		return "", shorthandErr(src, keyPos, "key %q cannot be compared in the shorthand; write an expression", key)
	}
	canonical := key
	if c, ok := seedAliases[key]; ok {
		canonical = c
	}
	place := "attributes"
	typ := secevent.TypeString
	if f, ok := secevent.FieldByKey(canonical); ok {
		if f.Place == secevent.PlaceResource {
			place = "resource"
		}
		typ = f.Type
	}
	lit := strconv.Quote(value)
	switch {
	case canonical == secevent.KeyOutcome:
		if o, ok := secevent.NormalizeOutcome(value); ok {
			lit = strconv.Quote(string(o))
		}
	case typ == secevent.TypeInt:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return "", shorthandErr(src, valPos, "%s is an integer; %q is not", canonical, value)
		}
		lit = strconv.FormatInt(n, 10)
	case typ == secevent.TypeBool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return "", shorthandErr(src, valPos, "%s is true or false; %q is not", canonical, value)
		}
		lit = strconv.FormatBool(b)
	}
	return place + "[" + strconv.Quote(canonical) + "] == " + lit, nil
}
