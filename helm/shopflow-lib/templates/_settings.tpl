{{/*
A service's settings: `global.serviceDefaults` overlaid with the service chart's values.
Unlike sprig's merge, a value the service sets always wins, `false` and `0` included.
Use: `{{- $v := include "shopflow.settings" . | fromYaml -}}`.
*/}}
{{- define "shopflow.settings" -}}
{{- include "shopflow.overlay" (dict "base" .Values.global.serviceDefaults "over" (omit .Values "global")) -}}
{{- end -}}

{{- define "shopflow.overlay" -}}
{{- $base := deepCopy .base -}}
{{- range $key, $value := .over -}}
{{- if and (kindIs "map" $value) (kindIs "map" (index $base $key)) -}}
{{- $_ := set $base $key (include "shopflow.overlay" (dict "base" (index $base $key) "over" $value) | fromYaml) -}}
{{- else -}}
{{- $_ := set $base $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $base -}}
{{- end -}}
