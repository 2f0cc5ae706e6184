package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// logger writes one JSON object per line: time, level, msg, then the given
// key/value pairs in order. (log/slog would do this, but it needs Go 1.21 and
// this module must build with Go 1.19.)
type logger struct {
	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

func newLogger(out io.Writer) *logger {
	return &logger{out: out, now: time.Now}
}

func (l *logger) Info(msg string, kv ...interface{})  { l.log("info", msg, kv) }
func (l *logger) Error(msg string, kv ...interface{}) { l.log("error", msg, kv) }

func (l *logger) log(level, msg string, kv []interface{}) {
	var b bytes.Buffer
	b.WriteString(`{"time":`)
	writeJSON(&b, l.now().UTC().Format(time.RFC3339Nano))
	b.WriteString(`,"level":`)
	writeJSON(&b, level)
	b.WriteString(`,"msg":`)
	writeJSON(&b, msg)
	for i := 0; i+1 < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = "!badkey"
		}
		b.WriteByte(',')
		writeJSON(&b, key)
		b.WriteByte(':')
		writeJSON(&b, kv[i+1])
	}
	b.WriteString("}\n")

	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v interface{}) {
	enc, err := json.Marshal(v)
	if err != nil {
		enc, _ = json.Marshal(err.Error())
	}
	b.Write(enc)
}
