// Package deploycheck validates the deployment files under deploy/: YAML
// hygiene, the Dockerfile and compose file, Kubernetes manifests, the Grafana
// dashboard and the Prometheus rules. Its tests run these checks over the
// real files (and promtool and systemd-analyze where installed); the
// functions here are the parsers and checks those tests share.
//
// None of these checks needs a Docker engine or a Kubernetes API server:
// they are static checks of the files, written for the fields dlpproxy's
// deployment uses, not full schemas.
package deploycheck
