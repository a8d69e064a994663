{{/* Chart name, shortened to the 63 characters a DNS label allows. */}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name prefix of every object, as `helm create` does: the release name alone when it already
contains the chart name. The in-cluster database host is "<fullname>-postgresql" (docs/contracts.md).
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Object name of one component: "<fullname>-<component>". Call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-chatbot.componentName" -}}
{{- printf "%s-%s" (include "todo-chatbot.fullname" .ctx | trunc 50 | trimSuffix "-") .component }}
{{- end }}

{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: only name + instance + component, so they never change on upgrade. */}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of every object; call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" .ctx }}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: todo-chatbot
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Image reference: "repository@digest" when a digest is set (it wins), else "repository:tag". */}}
{{- define "todo-chatbot.image" -}}
{{- $image := .image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .ctx.Chart.AppVersion $image.tag | toString) -}}
{{- end -}}
{{- end }}

{{/*
Checkov skip for CKV_K8S_43 (image by digest), rendered only for an image referenced by tag;
call with (dict "image" .Values.images.backend "key" "images.backend.digest").
*/}}
{{- define "todo-chatbot.digestSkip" -}}
{{- if not .image.digest -}}
checkov.io/skip9: CKV_K8S_43=Image referenced by tag because {{ .key }} is empty; set it to pin the exact build (the Pulumi program sets digests for the app images)
{{- end -}}
{{- end }}

{{/* Names of the Secrets: chart-created ones in create mode, else the existing ones. */}}
{{- define "todo-chatbot.secretName" -}}
{{- $ctx := .ctx -}}
{{- if $ctx.Values.secrets.create -}}
{{- include "todo-chatbot.componentName" (dict "ctx" $ctx "component" .secret) -}}
{{- else -}}
{{- index $ctx.Values.secrets .secret "existingSecret" -}}
{{- end -}}
{{- end }}

{{/* Service hosts and URLs other components use. */}}
{{- define "todo-chatbot.backendUrl" -}}
{{- printf "http://%s:%v" (include "todo-chatbot.componentName" (dict "ctx" . "component" "backend")) .Values.backend.port -}}
{{- end }}
{{- define "todo-chatbot.mcpUrl" -}}
{{- printf "http://%s:%v/mcp" (include "todo-chatbot.componentName" (dict "ctx" . "component" "mcp")) .Values.mcp.port -}}
{{- end }}
{{- define "todo-chatbot.frontendUrl" -}}
{{- printf "http://%s:%v" (include "todo-chatbot.componentName" (dict "ctx" . "component" "frontend")) .Values.frontend.port -}}
{{- end }}

{{/* Session cookie Secure flag: explicit value, else true exactly when the Ingress serves TLS. */}}
{{- define "todo-chatbot.cookieSecure" -}}
{{- if kindIs "bool" .Values.backend.cookieSecure -}}
{{- .Values.backend.cookieSecure -}}
{{- else -}}
{{- and .Values.ingress.enabled (ne .Values.ingress.tlsSecret "") -}}
{{- end -}}
{{- end }}

{{/*
checksum/secret: the rendered Secrets in create mode; otherwise the referenced names plus
secrets.revision, which the owner of the existing Secrets bumps to roll pods after a rotation.
*/}}
{{- define "todo-chatbot.secretChecksum" -}}
{{- if .Values.secrets.create -}}
{{- include (print .Template.BasePath "/secrets.yaml") . | sha256sum -}}
{{- else -}}
{{- printf "%s/%s/%s/%s" .Values.secrets.app.existingSecret .Values.secrets.database.existingSecret .Values.secrets.llm.existingSecret .Values.secrets.revision | sha256sum -}}
{{- end -}}
{{- end }}

{{/* True (non-empty) when a workload runs more than one pod, so a PodDisruptionBudget helps. */}}
{{- define "todo-chatbot.multiPod" -}}
{{- if .autoscaling.enabled -}}
{{- if gt (int .autoscaling.minReplicas) 1 }}true{{ end -}}
{{- else if gt (int .replicas) 1 -}}
true
{{- end -}}
{{- end }}

{{/* The writable /tmp every container gets, since root filesystems are read-only. */}}
{{- define "todo-chatbot.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ printf "%dMi" (int .Values.ephemeralStorage.tmpMi) }}
{{- end }}

{{/*
A container's resources: the given CPU and memory, plus an ephemeral-storage request and limit of
/tmp's size plus the logs allowance, so the kubelet's per-pod total never evicts before /tmp is full.
Call with (dict "ctx" $ "resources" .Values.backend.resources "key" "backend.resources").
*/}}
{{- define "todo-chatbot.resources" -}}
{{- range $side := list "requests" "limits" }}
{{- with index ($.resources | default dict) $side | default dict }}
{{- if hasKey . "ephemeral-storage" }}
{{- fail (printf "%s.%s.ephemeral-storage is set (%v), but the chart derives it from ephemeralStorage.tmpMi + ephemeralStorage.logsMi so that /tmp's sizeLimit always fits inside it; remove it and set those two values instead." $.key $side (index . "ephemeral-storage")) }}
{{- end }}
{{- end }}
{{- end }}
{{- $storage := .ctx.Values.ephemeralStorage }}
{{- $ephemeral := dict "ephemeral-storage" (printf "%dMi" (add $storage.tmpMi $storage.logsMi)) }}
{{- $requests := merge (deepCopy (.resources.requests | default dict)) $ephemeral }}
{{- $limits := merge (deepCopy (.resources.limits | default dict)) $ephemeral }}
{{- toYaml (dict "requests" $requests "limits" $limits) }}
{{- end }}

{{/*
TODO_DATABASE_URL for every Python service. In-cluster, the chart composes it from its own
PostgreSQL Service name, port, user and database, and only the password comes from the Secret (the
kubelet expands $(TODO_DATABASE_PASSWORD); the password is alphanumeric, so it needs no URL escaping).
External, the Secret holds the whole URL.
*/}}
{{- define "todo-chatbot.databaseUrlEnv" -}}
{{- $secret := include "todo-chatbot.secretName" (dict "ctx" . "secret" "database") }}
{{- if eq .Values.postgresql.mode "inCluster" }}
- name: TODO_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: password
- name: TODO_DATABASE_URL
  value: {{ include "todo-chatbot.inClusterDatabaseUrl" (dict "ctx" . "password" "$(TODO_DATABASE_PASSWORD)") | quote }}
{{- else }}
- name: TODO_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: database-url
{{- end }}
{{- end }}

{{/* The in-cluster database's URL with the given password (text or a $(VAR) reference). */}}
{{- define "todo-chatbot.inClusterDatabaseUrl" -}}
{{- $values := .ctx.Values.postgresql }}
{{- printf "postgresql+psycopg://%s:%s@%s:%v/%s" $values.auth.username .password (include "todo-chatbot.componentName" (dict "ctx" .ctx "component" "postgresql")) $values.port $values.auth.database }}
{{- end }}

{{/* Migration hook events: in-cluster, the database is part of the release, so install waits for it. */}}
{{- define "todo-chatbot.migrationHooks" -}}
{{- if eq .Values.postgresql.mode "inCluster" -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end }}

{{/* One HTTP probe on the container's "http" port; call with (dict "path" "/healthz" "probe" .Values.x.probes.y). */}}
{{- define "todo-chatbot.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/* Scheduling and spreading of one workload; call with (dict "ctx" $ "component" "backend" "values" .Values.backend). */}}
{{- define "todo-chatbot.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and .values.topologySpread .values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .values.topologySpread.maxSkew }}
    topologyKey: {{ .values.topologySpread.topologyKey }}
    whenUnsatisfiable: {{ .values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "todo-chatbot.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* Pod-level settings every workload shares. */}}
{{- define "todo-chatbot.podCommon" -}}
serviceAccountName: {{ include "todo-chatbot.componentName" (dict "ctx" .ctx "component" .component) }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.images.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}
