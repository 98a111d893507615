package specconv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadAndConvert measures what every husk create pays: reading
// config.json and converting it.
func BenchmarkLoadAndConvert(b *testing.B) {
	bundle := newBundle(b)
	s := baseSpec()
	data, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(bundle, ConfigFile), data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		spec, err := LoadSpec(bundle)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ToConfig(spec, Options{Bundle: bundle, ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToConfig(b *testing.B) {
	bundle := newBundle(b)
	s := baseSpec()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ToConfig(s, Options{Bundle: bundle, ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
