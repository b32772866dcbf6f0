{{/*
The restricted Pod Security Standard, for every pod of the release: non-root, no
privilege escalation, every capability dropped, the runtime's seccomp profile, and a
read-only root file system where the image allows it. `.user` is the image's uid.
*/}}

{{- define "shopflow.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .user }}
runAsGroup: {{ .user }}
fsGroup: {{ .user }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "shopflow.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .readOnlyRootFilesystem | default false }}
runAsNonRoot: true
runAsUser: {{ .user }}
runAsGroup: {{ .user }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Keep a workload's replicas apart: preferably never two on one node (a single-node
cluster still schedules them), and with `global.spread` on, evenly over nodes and zones.
*/}}
{{- define "shopflow.spread" -}}
{{- $spread := .root.Values.global.spread -}}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "shopflow.selectorLabels" . | nindent 14 }}
{{- if $spread.enabled }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "shopflow.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "shopflow.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end -}}
