package secformat

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// CEFConfig configures the CEF formatter. Exporters embed it in their Config as `cef:`.
type CEFConfig struct {
	// DeviceVendor, DeviceProduct and DeviceVersion are the first three CEF header fields after
	// the version. Required; at most 63, 63 and 31 bytes (CEF header limits).
	DeviceVendor  string `mapstructure:"device_vendor"`
	DeviceProduct string `mapstructure:"device_product"`
	DeviceVersion string `mapstructure:"device_version"`
	// SeverityByCategory overrides the CEF severity (0..10) that SeverityNumber gives, per
	// event.category. Alert records with a valid otsec.alert.severity keep their rule's severity.
	SeverityByCategory map[string]int `mapstructure:"severity_by_category"`
	// CustomFields puts a key (a schema key, or any other attribute or resource attribute key) into
	// a custom slot cs1..cs6 (strings, max 4000 bytes) or cn1..cn3 (integers) with a label. The
	// default is the schema doc's CEF column; setting the list replaces it as a whole. A schema
	// key that had a slot by default and is not listed travels in the overflow JSON.
	CustomFields []CustomField `mapstructure:"custom_fields"`
	// OverflowSlot is the custom string slot (cs1..cs6) that carries, as one JSON object, every
	// field without a CEF key of its own, so that nothing is dropped. Default cs6 (schema doc).
	OverflowSlot string `mapstructure:"overflow_slot"`
	// OverflowLabel is the label of the overflow slot. Default otsecExtra (schema doc).
	OverflowLabel string `mapstructure:"overflow_label"`
}

// CustomField maps Key to the CEF custom slot Slot (cs1..cs6, cn1..cn3), labelled Label
// (written as csNLabel / cnNLabel).
type CustomField struct {
	Key   string `mapstructure:"key"`
	Slot  string `mapstructure:"slot"`
	Label string `mapstructure:"label"`
}

// Defaults of CEFConfig.
const (
	DefaultDeviceVendor  = "Unified OT"
	DefaultDeviceProduct = "otelcol-siem"
	DefaultDeviceVersion = "0.1.0"
	DefaultOverflowLabel = "otsecExtra"
)

// CEF header field limits (bytes), from the CEF specification.
const (
	maxVendorLen    = 63
	maxProductLen   = 63
	maxVersionLen   = 31
	maxSignatureLen = 1023
	maxNameLen      = 512
	maxCustomStrLen = 4000
	maxLabelLen     = 1023
)

// DefaultCEFConfig returns the product's identity and the custom-field mapping of the schema doc.
func DefaultCEFConfig() CEFConfig {
	cfg := CEFConfig{
		DeviceVendor:  DefaultDeviceVendor,
		DeviceProduct: DefaultDeviceProduct,
		DeviceVersion: DefaultDeviceVersion,
		OverflowLabel: DefaultOverflowLabel,
	}
	for _, f := range secevent.Fields {
		col, err := parseCEFColumn(f.CEF)
		if err != nil {
			continue // NewCEF reports it; a default must not panic
		}
		switch col.kind {
		case colCustom:
			cfg.CustomFields = append(cfg.CustomFields, CustomField{Key: f.Key, Slot: col.key, Label: col.label})
		case colOverflow:
			cfg.OverflowSlot = col.key
		}
	}
	return cfg
}

// isCustomSlot reports whether s is cs1..cs6 or cn1..cn3.
func isCustomSlot(s string) bool {
	if len(s) != 3 {
		return false
	}
	switch s[:2] {
	case "cs":
		return s[2] >= '1' && s[2] <= '6'
	case "cn":
		return s[2] >= '1' && s[2] <= '3'
	}
	return false
}

// Validate checks the configuration, naming the option at fault.
func (c *CEFConfig) Validate() error {
	var errs []error
	checkHeader := func(name, v string, max int) {
		switch {
		case v == "":
			errs = append(errs, fmt.Errorf("%s must not be empty", name))
		case len(v) > max:
			errs = append(errs, fmt.Errorf("%s is %d bytes long; CEF allows at most %d", name, len(v), max))
		case !validPrintable(v):
			errs = append(errs, fmt.Errorf("%s must be valid UTF-8 without control characters", name))
		}
	}
	checkHeader("device_vendor", c.DeviceVendor, maxVendorLen)
	checkHeader("device_product", c.DeviceProduct, maxProductLen)
	checkHeader("device_version", c.DeviceVersion, maxVersionLen)

	for cat, sev := range c.SeverityByCategory {
		if sev < 0 || sev > 10 {
			errs = append(errs, fmt.Errorf("severity_by_category::%s is %d; CEF severity is 0..10", cat, sev))
		}
		if !secevent.Category(cat).Valid() {
			errs = append(errs, fmt.Errorf("severity_by_category: %q is not a schema category (%s)", cat, categoryList()))
		}
	}

	if c.OverflowSlot == "" || !strings.HasPrefix(c.OverflowSlot, "cs") || !isCustomSlot(c.OverflowSlot) {
		errs = append(errs, fmt.Errorf("overflow_slot %q must be one of cs1..cs6", c.OverflowSlot))
	}
	if c.OverflowLabel == "" || len(c.OverflowLabel) > maxLabelLen || !validPrintable(c.OverflowLabel) {
		errs = append(errs, fmt.Errorf("overflow_label must be 1..%d bytes of UTF-8 without control characters", maxLabelLen))
	}

	slots := map[string]int{}
	keys := map[string]int{}
	for i, cf := range c.CustomFields {
		at := fmt.Sprintf("custom_fields[%d]", i)
		switch {
		case cf.Key == "":
			errs = append(errs, fmt.Errorf("%s::key must not be empty", at))
		default:
			if f, ok := secevent.FieldByKey(cf.Key); ok && f.Place == secevent.PlaceRecord {
				errs = append(errs, fmt.Errorf("%s::key %q is a log record field with its own CEF place, not an attribute", at, cf.Key))
			}
			if j, dup := keys[cf.Key]; dup {
				errs = append(errs, fmt.Errorf("%s::key %q is already mapped by custom_fields[%d]", at, cf.Key, j))
			}
			keys[cf.Key] = i
		}
		switch {
		case !isCustomSlot(cf.Slot):
			errs = append(errs, fmt.Errorf("%s::slot %q must be one of cs1..cs6, cn1..cn3", at, cf.Slot))
		case cf.Slot == c.OverflowSlot:
			errs = append(errs, fmt.Errorf("%s::slot %s is the overflow slot (overflow_slot)", at, cf.Slot))
		default:
			if j, dup := slots[cf.Slot]; dup {
				errs = append(errs, fmt.Errorf("%s::slot %s is already used by custom_fields[%d]", at, cf.Slot, j))
			}
			slots[cf.Slot] = i
		}
		if cf.Label == "" || len(cf.Label) > maxLabelLen || !validPrintable(cf.Label) {
			errs = append(errs, fmt.Errorf("%s::label must be 1..%d bytes of UTF-8 without control characters", at, maxLabelLen))
		}
	}
	return errors.Join(errs...)
}

func categoryList() string {
	var b strings.Builder
	for i, c := range secevent.Categories() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(c))
	}
	return b.String()
}

// validPrintable reports whether s is valid UTF-8 without C0/C1 controls or DEL.
func validPrintable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return false
		}
	}
	return true
}
