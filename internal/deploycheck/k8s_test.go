package deploycheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// loadManifests decodes every document of every file under
// deploy/kubernetes, keyed by "Kind/name".
func loadManifests(t *testing.T) map[string]Object {
	t.Helper()
	objs := make(map[string]Object)
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, f := range files {
		docs, err := DecodeYAML(mustRead(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range docs {
			var o Object
			if err := d.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			key := o.String("kind") + "/" + o.String("metadata.name")
			if _, dup := objs[key]; dup {
				t.Errorf("%s: %s defined twice", f, key)
			}
			o["_file"] = filepath.Base(f)
			objs[key] = o
		}
	}
	return objs
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckObject(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // substring of the error; "" means valid
	}{
		{name: "configmap", give: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {k: v}\n"},
		{name: "wrong api version", give: "apiVersion: extensions/v1beta1\nkind: Deployment\n", want: "unknown apiVersion/kind"},
		{name: "missing field", give: "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: b}\nspec: {ports: []}\n", want: "missing spec.selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Object
			if err := yaml.Unmarshal([]byte(tt.give), &o); err != nil {
				t.Fatal(err)
			}
			err := CheckObject(o)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckObject: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckObject: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestKubernetes checks each manifest against the hand-written schema and
// the references between them: selectors, named ports, probes, mounted
// ConfigMaps and Secrets, the HPA target and the kustomization list.
func TestKubernetes(t *testing.T) {
	objs := loadManifests(t)
	for key, o := range objs {
		if err := CheckObject(o); err != nil {
			t.Errorf("%s: %v", key, err)
		}
		if ns := o.String("metadata.namespace"); o.String("kind") != "Namespace" && o.String("kind") != "Kustomization" && ns != "dlpproxy" {
			t.Errorf("%s: namespace %q, want dlpproxy", key, ns)
		}
	}

	dep := objs["Deployment/dlpproxy"]
	if dep == nil {
		t.Fatal("Deployment/dlpproxy missing")
	}
	podLabels := dep.Labels("spec.template.metadata.labels")
	if !Selects(dep.Labels("spec.selector.matchLabels"), podLabels) {
		t.Error("Deployment selector does not match its pod template")
	}
	for _, key := range []string{"Service/dlpproxy", "PodDisruptionBudget/dlpproxy", "PodMonitor/dlpproxy"} {
		o := objs[key]
		sel := o.Labels("spec.selector")
		if o.String("kind") != "Service" {
			sel = o.Labels("spec.selector.matchLabels")
		}
		if !Selects(sel, podLabels) {
			t.Errorf("%s does not select the dlpproxy pods", key)
		}
	}

	containers := dep.List("spec.template.spec.containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	c := containers[0]
	ports := make(map[string]bool)
	for _, p := range c.List("ports") {
		ports[p.String("name")] = true
	}
	for _, p := range objs["Service/dlpproxy"].List("spec.ports") {
		if !ports[p.String("targetPort")] {
			t.Errorf("Service targetPort %q is not a container port", p.String("targetPort"))
		}
	}
	for _, p := range objs["PodMonitor/dlpproxy"].List("spec.podMetricsEndpoints") {
		if !ports[p.String("port")] || p.String("path") != "/metrics" {
			t.Errorf("PodMonitor endpoint %v does not scrape the admin port", p)
		}
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := c.String(probe + ".httpGet.path"); got != path {
			t.Errorf("%s path %q, want %q", probe, got, path)
		}
		if port := c.String(probe + ".httpGet.port"); port != "admin" || !ports[port] {
			t.Errorf("%s port %q, want the admin port", probe, port)
		}
	}

	// Hardening.
	for path, want := range map[string]any{
		"securityContext.allowPrivilegeEscalation": false,
		"securityContext.readOnlyRootFilesystem":   true,
	} {
		if got := c.Get(path); got != want {
			t.Errorf("container %s = %v, want %v", path, got, want)
		}
	}
	if got := dep.Get("spec.template.spec.securityContext.runAsNonRoot"); got != true {
		t.Errorf("pod runAsNonRoot = %v, want true", got)
	}
	if caps, _ := c.Get("securityContext.capabilities.drop").([]any); !slices.Contains(caps, any("ALL")) {
		t.Errorf("container drops capabilities %v, want ALL", caps)
	}

	// Volumes: every mount has a volume, every volume names a defined object.
	volumes := make(map[string]Object)
	for _, v := range dep.List("spec.template.spec.volumes") {
		volumes[v.String("name")] = v
		switch {
		case v.Get("configMap") != nil:
			if objs["ConfigMap/"+v.String("configMap.name")] == nil {
				t.Errorf("volume %s: ConfigMap %q not defined", v.String("name"), v.String("configMap.name"))
			}
		case v.Get("secret") != nil:
			if objs["Secret/"+v.String("secret.secretName")] == nil {
				t.Errorf("volume %s: Secret %q not defined", v.String("name"), v.String("secret.secretName"))
			}
		}
	}
	for _, m := range c.List("volumeMounts") {
		if volumes[m.String("name")] == nil {
			t.Errorf("volumeMount %q has no volume", m.String("name"))
		}
		if m.Get("subPath") != nil {
			t.Errorf("volumeMount %q uses subPath: ConfigMap updates would never reach the file", m.String("name"))
		}
	}
	// TestConfigs checks the paths inside the config; here, that they are mounted.
	if args, _ := c.Get("args").([]any); !slices.Contains(args, any("--config=/etc/dlpproxy/config/config.yaml")) {
		t.Errorf("container args %v do not load the config ConfigMap", args)
	}
	mounts := make(map[string]string)
	for _, m := range c.List("volumeMounts") {
		mounts[m.String("mountPath")] = m.String("name")
	}
	for path, vol := range map[string]string{"/etc/dlpproxy/config": "config", "/etc/dlpproxy/policy": "policy", "/etc/dlpproxy/ca": "ca"} {
		if mounts[path] != vol {
			t.Errorf("%s: mounted volume %q, want %q", path, mounts[path], vol)
		}
	}

	if hpa := objs["HorizontalPodAutoscaler/dlpproxy"]; hpa.String("spec.scaleTargetRef.kind") != "Deployment" || hpa.String("spec.scaleTargetRef.name") != "dlpproxy" {
		t.Error("HPA does not target Deployment/dlpproxy")
	}

	// The kustomization lists every manifest but the CA Secret.
	kust := objs["Kustomization/"]
	res, _ := kust.Get("resources").([]any)
	for _, o := range objs {
		f := o["_file"].(string)
		listed := slices.Contains(res, any(f))
		if want := f != "secret-ca.yaml" && f != "kustomization.yaml"; listed != want {
			t.Errorf("kustomization lists %s: %v, want %v", f, listed, want)
		}
	}

	// The policy ConfigMap is deploy/config/policy.yaml, byte for byte.
	got := objs["ConfigMap/dlpproxy-policy"].Labels("data")["policy.yaml"]
	if want := string(readDeploy(t, "config/policy.yaml")); got != want {
		t.Error("kubernetes/policy.yaml ConfigMap differs from config/policy.yaml; regenerate it (see its header)")
	}
}

// TestPolicyCompiles compiles the shipped policy with the compiler serve
// uses.
func TestPolicyCompiles(t *testing.T) {
	data := readDeploy(t, "config/policy.yaml")
	_, warnings, err := policy.Compile("deploy/config/policy.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
}
