package auditproof

import "testing"

// FuzzFastEventMatchesStrict: where the fast reader reads a line, the
// strict one reads it too, and the same.
func FuzzFastEventMatchesStrict(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"2026-12-04T09:15:02.123456Z","actor_kind":"user","actor_id":"u-1","actor_role":"admin","on_behalf_of":"","request_id":"r-1","action":"login.failure","object_type":"user","object_id":"u-1","subject":"","purpose":"","outcome":"failure","prev_hash":"9874e74309ecc8c880fca18a35da78e3cc638f5b0f6dfd0a4f13fedc6f76bbdf","hash":"c847c631ba97f058b091855ffb7ad50ec722b18d87078df4a42f672b4234a469"}`))
	f.Add([]byte(`{"seq":012,"time":"\u00e9"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, strict exportEvent
		if !fastEvent(line, &fast) {
			return
		}
		if err := strictUnmarshal(line, &strict); err != nil {
			t.Fatalf("fast read %q, strict refused it: %v", line, err)
		}
		if fast != strict {
			t.Fatalf("fast read %+v, strict %+v", fast, strict)
		}
	})
}

func TestHasControl(t *testing.T) {
	for i := range 256 {
		for pos := range 17 {
			b := []byte("abcdefghijklmnopq")
			b[pos] = byte(i)
			if got, want := hasControl(b), i < 0x20; got != want {
				t.Fatalf("byte %#x at %d: hasControl %v", i, pos, got)
			}
		}
	}
}
