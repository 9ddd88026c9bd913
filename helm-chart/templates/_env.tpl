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
{{- end }}
