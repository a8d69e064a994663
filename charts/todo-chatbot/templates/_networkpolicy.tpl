{{/* Building blocks of networkpolicies.yaml. */}}

{{/* A pod peer: all pods of one component of this release. */}}
{{- define "todo-chatbot.np.peer" -}}
- podSelector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" . | nindent 6 }}
{{- end }}

{{/* Egress to the cluster DNS, UDP and TCP. */}}
{{- define "todo-chatbot.np.dns" -}}
- to:
    - namespaceSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.namespaceLabels | nindent 10 }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - protocol: UDP
      port: {{ .Values.networkPolicy.dns.port }}
    - protocol: TCP
      port: {{ .Values.networkPolicy.dns.port }}
{{- end }}

{{/* Egress to the database: the in-cluster pods, or the external CIDRs. */}}
{{- define "todo-chatbot.np.database" -}}
{{- if eq .Values.postgresql.mode "inCluster" -}}
- to:
    {{- include "todo-chatbot.np.peer" (dict "ctx" . "component" "postgresql") | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ .Values.postgresql.port }}
{{- else -}}
- to:
    {{- range .Values.postgresql.external.egressCIDRs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.postgresql.external.port }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.np.meta" -}}
name: {{ include "todo-chatbot.componentName" (dict "ctx" .ctx "component" (printf "%s-policy" .component)) }}
namespace: {{ .ctx.Release.Namespace }}
labels:
  {{- include "todo-chatbot.labels" (dict "ctx" .ctx "component" .component) | nindent 2 }}
{{- end }}
