{{/*
A service's own database. The Secret "<release>-<unit>-db" holds its password and the
URL the service reads as <PREFIX>DATABASE_URL: the in-cluster PostgreSQL's, or
`database.url` (an external, managed database) when set.
*/}}
{{- define "shopflow.databaseSecret" -}}
{{- $v := include "shopflow.settings" . | fromYaml -}}
{{- $ctx := dict "root" . "unit" (printf "%s-db" $v.unit) -}}
{{- $secret := include "shopflow.name" $ctx -}}
{{- $host := include "shopflow.name" (dict "root" . "unit" (printf "%s-postgres" $v.unit)) -}}
{{- $password := include "shopflow.keptSecret" (dict "root" . "secret" $secret "key" "password" "value" $v.database.password) -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secret }}
  labels:
    {{- include "shopflow.labels" (dict "root" . "unit" $v.unit) | nindent 4 }}
type: Opaque
stringData:
  password: {{ $password | quote }}
  url: {{ $v.database.url | default (printf "postgresql+asyncpg://%s:%s@%s:5432/%s" $v.database.user $password $host $v.database.name) | quote }}
{{- end -}}

{{- define "shopflow.postgres" -}}
{{- $v := include "shopflow.settings" . | fromYaml -}}
{{- $pg := .Values.global.postgres -}}
{{- $ctx := dict "root" . "unit" (printf "%s-postgres" $v.unit) -}}
{{- $name := include "shopflow.name" $ctx -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "shopflow.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: postgres
      port: 5432
      targetPort: postgres
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- include "shopflow.labels" $ctx | nindent 4 }}
  annotations:
    {{- include "shopflow.policyExceptions" (merge (dict) $pg.policyExceptions $.Values.global.policyExceptions) | nindent 4 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "shopflow.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "shopflow.labels" $ctx | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        {{- include "shopflow.podSecurityContext" $pg.security | nindent 8 }}
      terminationGracePeriodSeconds: 60
      containers:
        - name: postgres
          image: {{ $pg.image }}
          imagePullPolicy: {{ $pg.pullPolicy }}
          env:
            - name: POSTGRES_USER
              value: {{ $v.database.user | quote }}
            - name: POSTGRES_DB
              value: {{ $v.database.name | quote }}
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "shopflow.name" (dict "root" . "unit" (printf "%s-db" $v.unit)) }}
                  key: password
            # A folder inside the volume: initdb refuses a mount point's lost+found.
            - name: PGDATA
              value: /var/lib/postgresql/data/pgdata
          ports:
            - name: postgres
              containerPort: 5432
          startupProbe:
            exec:
              command: ["pg_isready", "-h", "127.0.0.1", "-U", {{ $v.database.user | quote }}, "-d", {{ $v.database.name | quote }}]
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            exec:
              command: ["pg_isready", "-h", "127.0.0.1"]
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            exec:
              command: ["pg_isready", "-h", "127.0.0.1", "-U", {{ $v.database.user | quote }}, "-d", {{ $v.database.name | quote }}]
            periodSeconds: 5
            timeoutSeconds: 3
          resources:
            {{- toYaml $pg.resources | nindent 12 }}
          securityContext:
            {{- include "shopflow.containerSecurityContext" (merge (dict "readOnlyRootFilesystem" true) $pg.security) | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
            - name: run
              mountPath: /var/run/postgresql
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: run
          emptyDir:
            sizeLimit: 16Mi
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- include "shopflow.selectorLabels" $ctx | nindent 10 }}
      spec:
        accessModes: ["ReadWriteOnce"]
        {{- with $pg.storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.database.storage | default $pg.storage }}
{{- end -}}
