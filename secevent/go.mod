module github.com/unified-ot/otelcol-siem/secevent

go 1.25.0
