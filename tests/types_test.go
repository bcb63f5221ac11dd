//go:build !js

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// typesHeader is what every file of TestTypes starts with: the typed
// source its code uses. IMPORT is replaced by the path of dist/index.js,
// beside which tsc finds dist/index.d.ts.
const typesHeader = `import { EventSource, SseshimError, type TypedMessageEvent } from 'IMPORT';

type Feed = {
  mqttMessage: { topic: string; payload: { celsius: number } };
  status: { up: boolean };
};
const es = new EventSource<Feed>('/stream', { json: true });
`

// typesGood is code a user writes against the typed EventSource; tsc
// --strict accepts it.
const typesGood = typesHeader + `
es.addEventListener('mqttMessage', (e) => {
  const celsius: number = e.json.payload.celsius;
  const topic: string = e.json.topic;
  console.log(celsius, topic, e.data.length, e.lastEventId, e.origin);
});
es.addEventListener('status', (e) => { const up: boolean = e.json.up; console.log(up); });
es.addEventListener('error', (e) => console.log(e.kind, e.status));
es.addEventListener('retrying', (e) => console.log(e.delay, e.reason));
// Types the map does not name are the untyped event.
es.addEventListener('other', (e) => console.log(e.data, e.json?.anything));
es.onmessage = (e) => console.log(e.data, e.json);
const typed: TypedMessageEvent<Feed['status']> | null = null;
console.log(typed);

async function loops(): Promise<void> {
  for await (const e of es) console.log(e.data, e.lastEventId);
  for await (const e of es.events({ types: ['mqttMessage', 'status'] })) {
    const j: Feed['mqttMessage'] | Feed['status'] = e.json;
    if ('up' in e.json) console.log(e.json.up);
    else console.log(e.json.payload.celsius);
  }
  const it = es.events({ highWaterMark: 100, preventClose: true });
  const r = await it.next();
  if (!r.done) console.log(r.value.data);
  await it.return();
  const batches = new EventSource('/stream', { batch: true }).events({ types: ['batch'] });
  for await (const b of batches) for (const rec of b.events) console.log(rec.type, rec.data);
  try {
    for await (const e of EventSource.fromReadableStream<Feed>(new ReadableStream()).events({ types: ['status'] })) console.log(e.json.up);
  } catch (err) {
    if (err instanceof SseshimError) {
      const status: number | undefined = err.status;
      console.log(err.kind === 'overflow', err.kind === 'status', status, err.code, err.message);
    }
  }
}
void loops();

const plain = new EventSource('/plain');
plain.addEventListener('anything', (e) => console.log(e.json));

// signal and fetch: the global fetch itself fits the option, and so does a
// wrapper that reads the init.
const ac = new AbortController();
const wrapped = new EventSource('/stream', {
  signal: ac.signal,
  fetch: (input, init) => fetch(input, { ...init, headers: new Headers(init.headers) }),
});
const direct = new EventSource('/stream', { fetch, signal: AbortSignal.timeout(1000) });
const fromStream = EventSource.fromReadableStream(new ReadableStream(), { signal: ac.signal });
console.log(wrapped.readyState, direct.readyState, fromStream.readyState);
ac.abort();
`

// typesBad are files with one wrong property access each, and the error
// tsc must report for it.
var typesBad = map[string]string{
	// A listener's event: json is the map's type.
	"listener": typesHeader + `es.addEventListener('mqttMessage', (e) => console.log(e.json.payload.fahrenheit));
`,
	// An iterator over two types yields either: a property of one only is
	// not on the union.
	"union": typesHeader + `async function f(): Promise<void> {
  for await (const e of es.events({ types: ['mqttMessage', 'status'] })) console.log(e.json.topic);
}
void f();
`,
	// for await yields message events; a typed message event's json.
	"message": `import { EventSource } from 'IMPORT';
async function f(): Promise<void> {
  for await (const e of new EventSource<{ message: { n: number } }>('/x')) console.log(e.json.m);
}
void f();
`,
	// A fetch function's init is a RequestInit.
	"fetch": typesHeader + `new EventSource('/x', { fetch: (input, init) => { console.log(init.timeout); return fetch(input, init); } });
`,
	// SseshimError's fields.
	"error": typesHeader + `try { es.close(); } catch (err) { if (err instanceof SseshimError) console.log(err.reason); }
`,
}

// TestTypes type-checks code written against dist/index.d.ts with tsc
// --strict (TypeScript from the npm registry, installed into an ignored
// folder): the typed EventSource's correct use and the README's TypeScript
// snippets pass, and each wrong property access fails with TS2339.
func TestTypes(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required under CI")
		}
		t.Skip("npm is not installed")
	}
	work, err := filepath.Abs(filepath.Join(".npm-work", "types"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(work, 0o755))
	dist, err := filepath.Abs(distDir)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dist, "index.d.ts"))
	require.NoError(t, err, "dist/index.d.ts: run make build")
	tsc := filepath.Join(work, "node_modules", ".bin", "tsc")
	if out, err := exec.Command(tsc, "--version").Output(); err != nil || !strings.Contains(string(out), typescriptVersion) {
		require.NoError(t, os.WriteFile(filepath.Join(work, "package.json"), []byte(`{"name":"types","private":true}`), 0o644))
		timed(t, "npm install typescript", func() {
			run(t, work, "npm", "install", "--no-save", "--prefer-offline", "--no-package-lock", "typescript@"+typescriptVersion)
		})
	}
	rel, err := filepath.Rel(work, filepath.Join(dist, "index.js"))
	require.NoError(t, err)
	// tsc checks the files it is given together, reporting each error with
	// its file's name.
	tscCheck := func(files map[string]string) (string, error) {
		var names []string
		for name, src := range files {
			names = append(names, name+".ts")
			require.NoError(t, os.WriteFile(filepath.Join(work, name+".ts"), []byte(strings.ReplaceAll(src, "IMPORT", filepath.ToSlash(rel))), 0o644))
		}
		cmd := exec.Command(tsc, append([]string{"--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
			"--moduleResolution", "bundler", "--lib", "es2022,dom"}, names...)...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	good := map[string]string{"good": typesGood}
	// The README's TypeScript snippets, as a user would paste them.
	for _, s := range readmeSnippets(t) {
		if s.lang == "ts" {
			good[fmt.Sprintf("readme-line%d", s.line)] = strings.ReplaceAll(s.code, "from 'sseshim'", "from 'IMPORT'")
		}
	}
	require.Greater(t, len(good), 1, "the README has a TypeScript snippet")
	out, err := tscCheck(good)
	require.NoError(t, err, "tsc --strict accepts the typed use and the README's snippets:\n%s", out)
	bad := map[string]string{}
	for name, src := range typesBad {
		bad["bad-"+name] = src
	}
	out, err = tscCheck(bad)
	t.Logf("tsc on the wrong files:\n%s", out)
	require.Error(t, err, "tsc --strict rejects a wrong property access")
	assert.Equal(t, len(typesBad), strings.Count(out, "error TS"), "one error per file, the wrong access")
	for name := range typesBad {
		assert.Regexp(t, `(?m)^bad-`+name+`\.ts\(\d+,\d+\): error TS2339: Property`, out, name)
	}
}
