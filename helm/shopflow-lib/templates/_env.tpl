{{/*
A service container's environment, the same variable names the local stack and compose
set: the release's shared variables (SHOPFLOW_*, from the "<release>-env" ConfigMap and
Secret the umbrella chart renders), then the service's own: <PREFIX>HOST/PORT, its
database URL, `env` and `secretEnv` from its values. Adding a variable is one line in
values: `global.env` / `global.secretEnv` for every service, `env` / `secretEnv` for one.
*/}}
{{- define "shopflow.serviceEnv" -}}
{{- $v := include "shopflow.settings" . | fromYaml -}}
envFrom:
  - configMapRef:
      name: {{ .Release.Name }}-env
  - secretRef:
      name: {{ .Release.Name }}-env
env:
  - name: {{ $v.envPrefix }}HOST
    value: "0.0.0.0"
  - name: {{ $v.envPrefix }}PORT
    value: {{ $v.port | quote }}
  {{- if $v.database.enabled }}
  - name: {{ $v.envPrefix }}DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "shopflow.name" (dict "root" . "unit" (printf "%s-db" $v.unit)) }}
        key: url
  {{- end }}
  {{- range $name, $value := $v.env }}
  - name: {{ $name }}
    value: {{ $value | quote }}
  {{- end }}
  {{- range $name, $_ := $v.secretEnv }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef:
        name: {{ include "shopflow.name" (dict "root" $ "unit" $v.unit) }}
        key: {{ $name }}
  {{- end }}
{{- end -}}

{{/*
A secret value that survives upgrades: the one given in values, else the one already in
the cluster, else a new random one. (`helm template` has no cluster: a random one.)
*/}}
{{- define "shopflow.keptSecret" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $kept := "" -}}
{{- if $existing -}}{{- $kept = index ($existing.data | default dict) .key | default "" | b64dec -}}{{- end -}}
{{- .value | default $kept | default (randAlphaNum 40) -}}
{{- end -}}
