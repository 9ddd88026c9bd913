{{/*
Backend environment taken from Secrets; everything else comes from its ConfigMap.
*/}}
{{- define "todo-chatbot.backend.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.databaseSecretName" . }}
      key: {{ include "todo-chatbot.databaseSecretKey" . }}
- name: AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.appSecretName" . }}
      key: AUTH_SECRET
{{- if or .Values.existingSecret .Values.llm.apiKey }}
- name: LLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.appSecretName" . }}
      key: LLM_API_KEY
      {{- if .Values.existingSecret }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.frontend.env" -}}
- name: CSRF_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: CSRF_SECRET
{{- end }}

{{/*
The HTTP server limits both services take, from their `http` values.
*/}}
{{- define "todo-chatbot.httpLimits" -}}
HTTP_HEADER_READ_TIMEOUT_SECS: {{ .headerReadTimeoutSeconds | quote }}
HTTP_IDLE_TIMEOUT_SECS: {{ .idleTimeoutSeconds | quote }}
HTTP_MAX_CONNECTIONS: {{ .maxConnections | quote }}
{{- end }}
