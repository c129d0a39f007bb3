package main

import (
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
)

// k8sObject is the part of a manifest the scale-out checks read.
type k8sObject struct {
	Kind     string
	Metadata struct{ Name string }
	Data     map[string]string
	Spec     struct {
		Replicas       int
		MaxUnavailable any                         `yaml:"maxUnavailable"`
		MinAvailable   any                         `yaml:"minAvailable"`
		MinReplicas    int                         `yaml:"minReplicas"`
		MaxReplicas    int                         `yaml:"maxReplicas"`
		ScaleTargetRef struct{ Kind, Name string } `yaml:"scaleTargetRef"`
		Metrics        []struct {
			Resource struct{ Name string }
		}
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
		Template struct {
			Metadata struct {
				Labels      map[string]string
				Annotations map[string]string
			}
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []k8sContainer
			}
		}
	}
}

type k8sContainer struct {
	Name  string
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	ReadinessProbe k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  k8sProbe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string
	}
}

type k8sProbe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

// The Kubernetes example runs stateless replicas that drain on SIGTERM:
// at least two, a PodDisruptionBudget and a CPU HorizontalPodAutoscaler
// over the Deployment, readiness on /readyz and liveness on /healthz, a
// termination grace longer than drain_delay plus shutdown_grace, and a
// metrics port that matches metrics_listen and the scrape annotations.
func TestKubernetesManifests(t *testing.T) {
	b, err := os.ReadFile("../../deploy/kubernetes/hush.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var o k8sObject
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		objs[o.Kind] = o
	}
	cm, dep, pdb, hpa := objs["ConfigMap"], objs["Deployment"], objs["PodDisruptionBudget"], objs["HorizontalPodAutoscaler"]
	cfg, err := config.Parse("configmap hush.yaml", []byte(cm.Data["hush.yaml"]), boot.Kinds(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("ConfigMap: %v", err)
	}
	srv := cfg.Server
	if !srv.Stateless || srv.Transport != config.TransportHTTP {
		t.Errorf("server: transport %s, stateless %v; want http, stateless", srv.Transport, srv.Stateless)
	}
	if srv.DrainDelay <= 0 {
		t.Errorf("server.drain_delay is not set")
	}

	if dep.Spec.Replicas < 2 {
		t.Errorf("Deployment replicas %d, want 2 or more", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template
	grace := time.Duration(pod.Spec.TerminationGracePeriodSeconds) * time.Second
	if need := srv.DrainDelay + srv.WithDefaults().ShutdownGrace; grace <= need {
		t.Errorf("terminationGracePeriodSeconds %v, want more than drain_delay + shutdown_grace (%v)", grace, need)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if _, port, _ := net.SplitHostPort(srv.Listen); strconv.Itoa(ports["mcp"]) != port {
		t.Errorf("container port mcp %d, server.listen %s", ports["mcp"], srv.Listen)
	}
	_, mport, err := net.SplitHostPort(srv.MetricsListen)
	if err != nil || strconv.Itoa(ports["metrics"]) != mport {
		t.Errorf("container port metrics %d, server.metrics_listen %q", ports["metrics"], srv.MetricsListen)
	}
	ann := pod.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != mport || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v, want scrape true, port %s, path /metrics", ann, mport)
	}
	if p := c.ReadinessProbe.HTTPGet; p.Path != "/readyz" || p.Port != "mcp" {
		t.Errorf("readiness probe %+v, want /readyz on mcp", p)
	}
	if p := c.LivenessProbe.HTTPGet; p.Path != "/healthz" || p.Port != "mcp" {
		t.Errorf("liveness probe %+v, want /healthz on mcp", p)
	}
	if c.Resources.Requests["cpu"] == "" {
		t.Errorf("no CPU request: the autoscaler's utilization has nothing to relate to")
	}

	labels := pod.Metadata.Labels
	for k, v := range pdb.Spec.Selector.MatchLabels {
		if labels[k] != v {
			t.Errorf("PodDisruptionBudget selects %s=%s; the pods are labelled %v", k, v, labels)
		}
	}
	if len(pdb.Spec.Selector.MatchLabels) == 0 || (pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil) {
		t.Errorf("PodDisruptionBudget missing or incomplete: %+v", pdb.Spec)
	}
	if r := hpa.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.Name != dep.Metadata.Name {
		t.Errorf("HorizontalPodAutoscaler targets %s/%s, want Deployment/%s", r.Kind, r.Name, dep.Metadata.Name)
	}
	if hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < hpa.Spec.MinReplicas {
		t.Errorf("HorizontalPodAutoscaler replicas %d..%d, want from 2", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	if len(hpa.Spec.Metrics) != 1 || hpa.Spec.Metrics[0].Resource.Name != "cpu" {
		t.Errorf("HorizontalPodAutoscaler metrics %+v, want cpu", hpa.Spec.Metrics)
	}
}
