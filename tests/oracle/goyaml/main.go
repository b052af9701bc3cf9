// goyaml: what kubectl and docker compose read from a YAML file, as the reference the plugin's
// reader is tested against (tests/cli/yaml_parity.rs).
//
//	goyaml -mode kubectl FILE...   go-yaml v2 document by document, as kubectl reads manifests
//	                               (through sigs.k8s.io/yaml), or encoding/json for a stream
//	                               whose first non-blank byte is `{`, as kubectl's decoder sniffs it
//	goyaml -mode compose FILE...   go-yaml v3, every document of the stream, as Compose reads
//
// One JSON line per file, in order: {"file", "accepted", "error" (its "yaml: line N: ..."),
// "line" (1-based, 0 when go-yaml gives none), "images": the image values at the paths the
// plugin's built-in rules look at (src/core/image_paths.rs; Compose: services.*.image of a service
// that does not build, itself or through extends, and the source of a `type: image` volume), "data": a fingerprint of every document read}.
//
// Built with Debian's Go against Debian's golang-gopkg-yaml.v2-dev and .v3-dev, module-less:
// GO111MODULE=off GOPATH=/usr/share/gocode go build (scripts/test.sh).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"
)

type verdict struct {
	File     string   `json:"file"`
	Accepted bool     `json:"accepted"`
	Error    string   `json:"error,omitempty"`
	Line     int      `json:"line"`
	Images   []string `json:"images"`
	// Data fingerprints what was read (every document, maps in key order): a layout variant of a
	// file reads the same as the file when their fingerprints are equal.
	Data string `json:"data,omitempty"`
}

func main() {
	mode := flag.String("mode", "kubectl", "kubectl (go-yaml v2, encoding/json) or compose (go-yaml v3)")
	flag.Parse()
	out := json.NewEncoder(os.Stdout)
	for _, file := range flag.Args() {
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var v verdict
		switch *mode {
		case "kubectl":
			v = readKubectl(raw)
		case "compose":
			v = readCompose(file, raw)
		default:
			fmt.Fprintln(os.Stderr, "unknown -mode", *mode)
			os.Exit(2)
		}
		v.File = file
		if v.Images == nil {
			v.Images = []string{}
		}
		if err := out.Encode(v); err != nil {
			os.Exit(2)
		}
	}
}

// bomOverride is what kubectl's file visitor does to every file (unicode.BOMOverride over a
// UTF-8 decoder): a UTF-16 byte order mark decodes the rest as UTF-16, a UTF-8 one is dropped.
func bomOverride(raw []byte) []byte {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		return raw[3:]
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		little := raw[0] == 0xFF
		body := raw[2:]
		units := make([]uint16, 0, len(body)/2)
		for i := 0; i+1 < len(body); i += 2 {
			if little {
				units = append(units, uint16(body[i])|uint16(body[i+1])<<8)
			} else {
				units = append(units, uint16(body[i])<<8|uint16(body[i+1]))
			}
		}
		return []byte(string(utf16.Decode(units)))
	}
	return raw
}

var lineOf = regexp.MustCompile(`line (\d+)`)

func refused(err error, firstLine int) verdict {
	v := verdict{Error: err.Error()}
	if m := lineOf.FindStringSubmatch(v.Error); m != nil {
		n, _ := strconv.Atoi(m[1])
		v.Line = n + firstLine - 1
	}
	return v
}

func readKubectl(raw []byte) verdict {
	text := bomOverride(raw)
	trimmed := bytes.TrimLeft(text, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("{")) {
		return readJSONStream(text)
	}
	var v verdict
	v.Accepted = true
	var docs []interface{}
	for _, chunk := range splitDocuments(text) {
		var doc interface{}
		if err := yamlv2.Unmarshal(chunk.text, &doc); err != nil {
			return refused(err, chunk.line)
		}
		docs = append(docs, doc)
		v.Images = append(v.Images, manifestImages(doc)...)
	}
	v.Data = fingerprint(docs)
	return v
}

func fingerprint(docs []interface{}) string {
	// fmt prints maps in key order; %#v quotes strings and names types.
	sum := sha256.Sum256([]byte(fmt.Sprintf("%#v", docs)))
	return fmt.Sprintf("%x", sum[:8])
}

// readJSONStream is kubectl's JSON path: encoding/json, one value after another.
func readJSONStream(text []byte) verdict {
	decoder := json.NewDecoder(bytes.NewReader(text))
	var v verdict
	v.Accepted = true
	var docs []interface{}
	for {
		var doc interface{}
		err := decoder.Decode(&doc)
		if err == io.EOF {
			v.Data = fingerprint(docs)
			return v
		}
		if err != nil {
			line := 1 + bytes.Count(text[:decoder.InputOffset()], []byte("\n"))
			if syntax, ok := err.(*json.SyntaxError); ok {
				line = 1 + bytes.Count(text[:syntax.Offset], []byte("\n"))
			}
			return verdict{Error: err.Error(), Line: line}
		}
		docs = append(docs, doc)
		v.Images = append(v.Images, manifestImages(doc)...)
	}
}

type chunk struct {
	text []byte
	line int
}

// splitDocuments splits as k8s.io/apimachinery's YAMLReader does: at every line starting with
// `---`, the separator line itself dropped.
func splitDocuments(text []byte) []chunk {
	var chunks []chunk
	var current bytes.Buffer
	start := 1
	lines := bytes.SplitAfter(text, []byte("\n"))
	for index, line := range lines {
		if bytes.HasPrefix(line, []byte("---")) {
			if current.Len() > 0 {
				chunks = append(chunks, chunk{append([]byte(nil), current.Bytes()...), start})
			}
			current.Reset()
			start = index + 2
			continue
		}
		current.Write(line)
	}
	if current.Len() > 0 {
		chunks = append(chunks, chunk{current.Bytes(), start})
	}
	return chunks
}

// The plugin's built-in rules (src/core/image_paths.rs).
var podSpecPrefixes = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"Rollout":               {"spec", "template", "spec"},
}

var prometheusOperatorKinds = map[string]bool{
	"Prometheus": true, "PrometheusAgent": true, "Alertmanager": true, "ThanosRuler": true,
}

var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

func get(node interface{}, key string) interface{} {
	switch m := node.(type) {
	case map[interface{}]interface{}:
		return m[key]
	case map[string]interface{}:
		return m[key]
	}
	return nil
}

func at(node interface{}, path []string) interface{} {
	for _, key := range path {
		node = get(node, key)
	}
	return node
}

func stringImage(value interface{}) []string {
	if s, ok := value.(string); ok {
		return []string{s}
	}
	return nil
}

func containerImages(spec interface{}) []string {
	var images []string
	for _, list := range containerLists {
		items, _ := get(spec, list).([]interface{})
		for _, item := range items {
			images = append(images, stringImage(get(item, "image"))...)
		}
	}
	return images
}

func objectImages(object interface{}) []string {
	kind, _ := get(object, "kind").(string)
	if prefix, ok := podSpecPrefixes[kind]; ok {
		return containerImages(at(object, prefix))
	}
	if prometheusOperatorKinds[kind] {
		spec := get(object, "spec")
		images := stringImage(get(spec, "image"))
		for _, list := range containerLists[:2] {
			items, _ := get(spec, list).([]interface{})
			for _, item := range items {
				images = append(images, stringImage(get(item, "image"))...)
			}
		}
		if kind == "Prometheus" {
			images = append(images, stringImage(get(get(spec, "thanos"), "image"))...)
		}
		return images
	}
	return nil
}

// manifestImages: the object's images, or its items' when it is a List.
func manifestImages(doc interface{}) []string {
	kind, _ := get(doc, "kind").(string)
	if strings.HasSuffix(kind, "List") {
		var images []string
		items, _ := get(doc, "items").([]interface{})
		for _, item := range items {
			images = append(images, objectImages(item)...)
		}
		return images
	}
	return objectImages(doc)
}

func readCompose(file string, raw []byte) verdict {
	decoder := yamlv3.NewDecoder(bytes.NewReader(raw))
	var v verdict
	v.Accepted = true
	var docs []interface{}
	for {
		var doc map[string]interface{}
		err := decoder.Decode(&doc)
		if err == io.EOF {
			v.Data = fingerprint(docs)
			return v
		}
		if err != nil {
			return refused(err, 1)
		}
		docs = append(docs, doc)
		services, _ := doc["services"].(map[string]interface{})
		names := make([]string, 0, len(services))
		for name := range services {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			service, _ := services[name].(map[string]interface{})
			if !builds(file, services, service, 0) {
				v.Images = append(v.Images, stringImage(service["image"])...)
			}
			volumes, _ := service["volumes"].([]interface{})
			for _, volume := range volumes {
				if get(volume, "type") == "image" {
					v.Images = append(v.Images, stringImage(get(volume, "source"))...)
				}
			}
		}
	}
}

// builds: whether Compose builds the service's image, itself or through `extends` (in this
// file or another), so that its `image:` names what is built.
func builds(file string, services map[string]interface{}, service map[string]interface{}, depth int) bool {
	if _, ok := service["build"]; ok {
		return true
	}
	if depth > 10 {
		return false
	}
	var base, other string
	switch extends := service["extends"].(type) {
	case string:
		base = extends
	case map[string]interface{}:
		base, _ = extends["service"].(string)
		other, _ = extends["file"].(string)
	default:
		return false
	}
	if other != "" {
		raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), other))
		if err != nil {
			return false
		}
		var doc map[string]interface{}
		if yamlv3.Unmarshal(raw, &doc) != nil {
			return false
		}
		services, _ = doc["services"].(map[string]interface{})
		file = filepath.Join(filepath.Dir(file), other)
	}
	extended, _ := services[base].(map[string]interface{})
	return builds(file, services, extended, depth+1)
}
