{{/* The umbrella's view of one service chart: its values over global.serviceDefaults. */}}
{{- define "shopflow.unitSettings" -}}
{{- include "shopflow.overlay" (dict "base" .root.Values.global.serviceDefaults "over" (omit (index .root.Values .unit) "global")) -}}
{{- end -}}

{{/* The enabled service charts, by name. */}}
{{- define "shopflow.units" -}}
{{- $units := list -}}
{{- range $name := list "gateway" "order" "inventory" "payment" "notification" "payment-provider" -}}
{{- if (index $.Values $name).enabled -}}{{- $units = append $units $name -}}{{- end -}}
{{- end -}}
{{- toJson $units -}}
{{- end -}}

{{- define "shopflow.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s-kafka:9092" .Release.Name -}}
{{- else -}}
{{- required "kafka.bootstrapServers is required when kafka.enabled is false" .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{- define "shopflow.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s-redis:6379/0" .Release.Name -}}
{{- else -}}
{{- required "redis.url is required when redis.enabled is false" .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/* The TCP port of a URL (its own, else the scheme's). */}}
{{- define "shopflow.urlPort" -}}
{{- $url := urlParse . -}}
{{- regexFind "[0-9]+$" (regexFind ":[0-9]+$" $url.host) | default (ternary "443" "80" (eq $url.scheme "https")) -}}
{{- end -}}
