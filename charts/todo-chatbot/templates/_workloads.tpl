{{/*
The workload catalogue: every Deployment of the chart, in the order the per-kind templates
(Services, ServiceAccounts, HPAs, PDBs) render them. Each name has a values block of the same name
(its shape is $defs/workload in values.schema.json, plus its own keys), an image `images.<name>`,
a "todo-chatbot.workload.<name>" template below and a templates/<name>.yaml that renders its
Deployment (one file each, so `# Source:` names it). NetworkPolicies stay written out per workload:
each allows that workload's own flows. include returns text, so callers parse it with fromJsonArray.
*/}}
{{- define "todo-chatbot.workloads" -}}
{{- list "backend" "mcp" "frontend" | toJson -}}
{{- end }}

{{/*
What is a workload's own, as YAML read by "todo-chatbot.deployment":
  appSettings     a Python service: envFrom its ConfigMap (configmap.yaml), Secrets by secretKeyRef,
                  and a change of either rolls its pods (checksum annotations)
  configChecksum  what rolls its pods when its settings change
  readinessPath   path of its readiness probe (startup and liveness ask /healthz)
  env             its env entries, as text so that their comments and quoting render as written
*/}}
{{- define "todo-chatbot.workload.backend" -}}
appSettings: true
configChecksum: {{ include "todo-chatbot.configMapChecksum" . | quote }}
readinessPath: /readyz
env: |-
  {{- include "todo-chatbot.databaseUrlEnv" . | nindent 2 }}
  {{- include "todo-chatbot.secretEnv" (dict "ctx" . "name" "TODO_JWT_SECRET" "secret" "app" "key" "jwt-secret") | nindent 2 }}
  {{- include "todo-chatbot.secretEnv" (dict "ctx" . "name" "TODO_MCP_TOKEN" "secret" "app" "key" "mcp-token") | nindent 2 }}
  {{- if eq .Values.agent.engine "openai" }}
  {{- include "todo-chatbot.secretEnv" (dict "ctx" . "name" "TODO_OPENAI_API_KEY" "secret" "llm" "key" "api-key") | nindent 2 }}
  {{- end }}
{{- end }}

{{- define "todo-chatbot.workload.mcp" -}}
appSettings: true
configChecksum: {{ include "todo-chatbot.configMapChecksum" . | quote }}
readinessPath: /readyz
env: |-
  {{- include "todo-chatbot.databaseUrlEnv" . | nindent 2 }}
  {{- include "todo-chatbot.secretEnv" (dict "ctx" . "name" "TODO_MCP_TOKEN" "secret" "app" "key" "mcp-token") | nindent 2 }}
{{- end }}

{{- define "todo-chatbot.workload.frontend" -}}
{{- /* nginx reads no ConfigMap or Secret; its only setting is the backend URL in env. */}}
configChecksum: {{ include "todo-chatbot.backendUrl" . | sha256sum | quote }}
{{- /* Ready once the app itself is served; liveness only asks nginx to answer. */}}
readinessPath: /index.html
env: |-
  # The port nginx listens on comes from the same value as containerPort and the Service.
  - name: TODO_FRONTEND_LISTEN
    value: {{ .Values.frontend.port | quote }}
  # nginx proxies same-origin /api/ to this URL (rendered into its config at start).
  - name: TODO_BACKEND_URL
    value: {{ include "todo-chatbot.backendUrl" . | quote }}
{{- end }}

{{/* The Python services' ConfigMaps, hashed for checksum/config. */}}
{{- define "todo-chatbot.configMapChecksum" -}}
{{- include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end }}

{{/* One env var from a key of one of the release's Secrets; call with (dict "ctx" $ "name" "TODO_X" "secret" "app" "key" "x"). */}}
{{- define "todo-chatbot.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" (dict "ctx" .ctx "secret" .secret) }}
      key: {{ .key }}
{{- end }}

{{/* The Deployment of one workload of the catalogue; call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-chatbot.deployment" -}}
{{- $root := .ctx }}
{{- $component := .component }}
{{- $values := index $root.Values $component }}
{{- $image := index $root.Values.images $component }}
{{- $own := include (printf "todo-chatbot.workload.%s" $component) $root | fromYaml }}
{{- $ctx := dict "ctx" $root "component" $component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "todo-chatbot.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
  annotations:
    {{- if $own.appSettings }}
    checkov.io/skip1: CKV_K8S_35=The app reads its settings from environment variables (12-factor, pydantic-settings); the values come from Secrets by secretKeyRef, never from Helm values
    {{- end }}
    checkov.io/skip2: CKV_K8S_15=Images are referenced by immutable digest from a local registry; IfNotPresent avoids a pull per pod start and works offline
    {{- with include "todo-chatbot.digestSkip" (dict "image" $image "key" (printf "images.%s.digest" $component)) }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  {{- if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "todo-chatbot.labels" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ $own.configChecksum }}
        {{- if $own.appSettings }}
        checksum/secret: {{ include "todo-chatbot.secretChecksum" $root }}
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "todo-chatbot.podCommon" $ctx | nindent 6 }}
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      {{- with include "todo-chatbot.scheduling" (dict "ctx" $root "component" $component "values" $values) | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "todo-chatbot.image" (dict "ctx" $root "image" $image) }}
          imagePullPolicy: {{ $root.Values.images.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $values.port }}
              protocol: TCP
          {{- if $own.appSettings }}
          envFrom:
            - configMapRef:
                name: {{ include "todo-chatbot.componentName" $ctx }}
          {{- end }}
          env:
            {{- $own.env | nindent 12 }}
          startupProbe:
            {{- include "todo-chatbot.httpProbe" (dict "path" "/healthz" "probe" $values.probes.startup) | nindent 12 }}
          livenessProbe:
            {{- include "todo-chatbot.httpProbe" (dict "path" "/healthz" "probe" $values.probes.liveness) | nindent 12 }}
          readinessProbe:
            {{- include "todo-chatbot.httpProbe" (dict "path" $own.readinessPath "probe" $values.probes.readiness) | nindent 12 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $values.preStopSleepSeconds }}
          resources:
            {{- include "todo-chatbot.resources" (dict "ctx" $root "resources" $values.resources "key" (printf "%s.resources" $component)) | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "todo-chatbot.tmpVolume" $root | nindent 8 }}
{{- end }}
