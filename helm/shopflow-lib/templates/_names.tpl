{{/*
Names and labels. Every object is "<release>-<unit>[-<part>]" and carries the standard
app.kubernetes.io labels; `component` is the unit (order, kafka, ...), the key the
NetworkPolicies select on.
*/}}

{{- define "shopflow.name" -}}
{{- printf "%s-%s" .root.Release.Name .unit | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shopflow.selectorLabels" -}}
app.kubernetes.io/name: {{ .unit }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "shopflow.labels" -}}
{{ include "shopflow.selectorLabels" . }}
app.kubernetes.io/component: {{ .unit }}
app.kubernetes.io/part-of: shopflow
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* An application image: <registry/><repository>/<unit>:<tag>, as the compose build tags it. */}}
{{- define "shopflow.appImage" -}}
{{- $image := .root.Values.global.image -}}
{{- $registry := $image.registry | default "" -}}
{{- printf "%s%s/%s:%s" (ternary "" (printf "%s/" $registry) (eq $registry "")) $image.repository .unit $image.tag -}}
{{- end -}}

{{/*
Policy exceptions: a map of kube-score check id to the reason it does not apply, kept in
the values next to what it excuses. Rendered as the annotation kube-score reads.
*/}}
{{- define "shopflow.policyExceptions" -}}
{{- with . }}
kube-score/ignore: {{ keys . | sortAlpha | join "," | quote }}
{{- end }}
{{- end -}}
