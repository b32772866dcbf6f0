{{/*
One ShopFlow service: its Deployment (migrations and topics as init containers), Service,
Secrets, autoscaler, disruption budget, optional ServiceMonitor, and its own PostgreSQL
unless it uses an external database. A thin chart's only template is
`{{ include "shopflow.service" . }}`; its values say what the service is.
*/}}
{{- define "shopflow.service" -}}
{{- $v := include "shopflow.settings" . | fromYaml -}}
{{- $ctx := dict "root" . "unit" $v.unit -}}
{{- $name := include "shopflow.name" $ctx -}}
{{- $g := .Values.global -}}
{{- $exceptions := include "shopflow.policyExceptions" (merge (dict) $v.policyExceptions $g.policyExceptions) -}}
{{- if $v.secretEnv }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
type: Opaque
stringData:
  {{- range $key, $value := $v.secretEnv }}
  {{ $key }}: {{ include "shopflow.keptSecret" (dict "root" $ "secret" $name "key" $key "value" $value) | quote }}
  {{- end }}
---
{{- end }}
{{- if $v.database.enabled }}
{{ include "shopflow.databaseSecret" . }}
---
{{- if not $v.database.url }}
{{ include "shopflow.postgres" . }}
---
{{- end }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
  annotations:
    {{- $exceptions | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "shopflow.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "shopflow.labels" $ctx | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        {{- include "shopflow.podSecurityContext" $g.appSecurity | nindent 8 }}
      # The kit's graceful shutdown (SHUTDOWN_TIMEOUT_SECONDS, 10 s) fits inside this.
      terminationGracePeriodSeconds: 30
      {{- include "shopflow.spread" $ctx | nindent 6 }}
      {{- if or $v.bus $v.database.enabled }}
      initContainers:
        {{- if $v.bus }}
        # The topic catalogue (shopflow_contracts), created where missing, before the relay
        # and consumers start: a relay stalls on a missing topic.
        - name: topics
          {{- $topics := $g.topics }}
          {{- $flags := list "--partitions" ($topics.partitions | toString) "--replication-factor" ($topics.replicationFactor | toString) "--min-insync-replicas" ($topics.minInsyncReplicas | toString) }}
          {{- include "shopflow.appContainer" (dict "root" $ "command" (concat (list "python" "-m" "shopflow_contracts.create_topics") $flags)) | nindent 10 }}
        {{- end }}
        {{- if $v.database.enabled }}
        # Alembic, to the latest revision; replicas starting together take turns (an advisory lock).
        - name: migrate
          {{- include "shopflow.appContainer" (dict "root" $ "command" (list "python" "-m" $v.module "migrate")) | nindent 10 }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ $v.unit }}
          {{- include "shopflow.appContainer" (dict "root" $ "command" (list "python" "-m" $v.module)) | nindent 10 }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
          startupProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 2
            failureThreshold: 30
          # Alive: serving, and no relay or consumer stopped for good (then a restart helps).
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          # Ready: its database, Kafka, Redis and background jobs answer (the kit's checks).
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
spec:
  selector:
    {{- include "shopflow.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.port }}
      targetPort: http
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
  annotations:
    {{- $exceptions | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "shopflow.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- if $g.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
    {{- with $g.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  # `job` is the unit's name, as in the local stack and compose: the rules select on it.
  jobLabel: app.kubernetes.io/name
  selector:
    matchLabels:
      {{- include "shopflow.selectorLabels" $ctx | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $g.serviceMonitor.interval }}
{{- end }}
{{- end -}}

{{/*
What every container running the service's image shares: image, command, environment,
resources, security, a writable /tmp. `.command` is the argv.
*/}}
{{- define "shopflow.appContainer" -}}
{{- $root := .root -}}
{{- $v := include "shopflow.settings" $root | fromYaml -}}
image: {{ include "shopflow.appImage" (dict "root" $root "unit" $v.unit) }}
imagePullPolicy: {{ $root.Values.global.image.pullPolicy }}
command: {{ toJson .command }}
{{ include "shopflow.serviceEnv" $root }}
resources:
  {{- toYaml $v.resources | nindent 2 }}
securityContext:
  {{- include "shopflow.containerSecurityContext" (merge (dict "readOnlyRootFilesystem" true) $root.Values.global.appSecurity) | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}
