{{/*
Expand the name of the chart.
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Default fully qualified app name, truncated at 63 chars (DNS label limit).
A release name that already contains the chart name is used as is.
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

{{/*
Name of one component's objects: "<fullname>-<component>". Argument: (list $ "backend").
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- printf "%s-%s" (include "todo-chatbot.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version as used by the chart label.
*/}}
{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels (the recommended app.kubernetes.io set). Each object adds its app.kubernetes.io/component.
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" . }}
{{ include "todo-chatbot.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: never a version, so selectors stay valid across upgrades.
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount the pods run as.
*/}}
{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
"repository:tag" of an image, the tag defaulting to the chart's appVersion. Argument: (list $ .Values.backend.image).
*/}}
{{- define "todo-chatbot.image" -}}
{{- $image := index . 1 }}
{{- printf "%s:%s" $image.repository (default (index . 0).Chart.AppVersion $image.tag) }}
{{- end }}

{{/*
The chart's own Secret (generated passwords, AUTH_SECRET, values given with --set).
*/}}
{{- define "todo-chatbot.secretName" -}}
{{- include "todo-chatbot.fullname" . }}
{{- end }}

{{/*
Secret holding AUTH_SECRET and LLM_API_KEY.
*/}}
{{- define "todo-chatbot.appSecretName" -}}
{{- default (include "todo-chatbot.secretName" .) .Values.existingSecret }}
{{- end }}

{{/*
Secret and key holding DATABASE_URL.
*/}}
{{- define "todo-chatbot.databaseSecretName" -}}
{{- if and .Values.externalDatabase.enabled .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecret }}
{{- else }}
{{- include "todo-chatbot.secretName" . }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.databaseSecretKey" -}}
{{- if and .Values.externalDatabase.enabled .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecretKey }}
{{- else -}}
DATABASE_URL
{{- end }}
{{- end }}

{{/*
Whether the chart renders its own Secret: only when it has something to hold.
*/}}
{{- define "todo-chatbot.createSecret" -}}
{{- /* Always: CSRF_SECRET lives there whatever else the user's Secrets hold. */ -}}
true
{{- end }}

{{/*
Hash of every input of the Secrets the pods read, for the checksum/secret annotation. Generated values are kept
across upgrades by lookup, so they never change it; hashing the inputs (not the rendered Secret) keeps the
annotation stable between the first install and later upgrades.
*/}}
{{- define "todo-chatbot.secretChecksum" -}}
{{- list .Values.existingSecret .Values.authSecret .Values.csrfSecret .Values.llm.apiKey .Values.externalDatabase .Values.postgresql.enabled .Values.postgresql.username .Values.postgresql.database | toJson | sha256sum }}
{{- end }}

{{/*
COOKIE_SECURE: explicit value, else true exactly when the Ingress terminates TLS.
*/}}
{{- define "todo-chatbot.cookieSecure" -}}
{{- if kindIs "bool" .Values.frontend.cookieSecure }}
{{- .Values.frontend.cookieSecure }}
{{- else }}
{{- and .Values.ingress.enabled (ne .Values.ingress.tlsSecretName "") }}
{{- end }}
{{- end }}

{{/*
Pod security context. Argument: the image's numeric uid/gid.
*/}}
{{- define "todo-chatbot.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container security context. Argument: the image's numeric uid/gid.
*/}}
{{- define "todo-chatbot.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Soft spread of a component's pods over nodes (and zones where nodes carry the label).
Argument: (list $ "backend").
*/}}
{{- define "todo-chatbot.topologySpreadConstraints" -}}
{{- $ctx := index . 0 }}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
- maxSkew: 1
  topologyKey: {{ . }}
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
      app.kubernetes.io/component: {{ index $ 1 }}
  matchLabelKeys:
    - pod-template-hash
{{- end }}
{{- end }}

{{/*
Checks no schema can express; rendered from templates/validate.yaml.
*/}}
{{- define "todo-chatbot.validateValues" -}}
{{- $db := .Values.externalDatabase }}
{{- if and .Values.postgresql.enabled $db.enabled }}
{{- fail "postgresql.enabled and externalDatabase.enabled are both true: choose one database (set postgresql.enabled=false to use the external one)" }}
{{- end }}
{{- if not (or .Values.postgresql.enabled $db.enabled) }}
{{- fail "no database: set postgresql.enabled=true, or externalDatabase.enabled=true with externalDatabase.url or externalDatabase.existingSecret" }}
{{- end }}
{{- if $db.enabled }}
{{- if and $db.url $db.existingSecret }}
{{- fail "externalDatabase.url and externalDatabase.existingSecret are both set: give only one" }}
{{- end }}
{{- $_ := required "externalDatabase.enabled=true needs externalDatabase.url or externalDatabase.existingSecret (a Secret with key externalDatabase.existingSecretKey, default DATABASE_URL)" (coalesce $db.url $db.existingSecret) }}
{{- end }}
{{- if and .Values.existingSecret (or .Values.authSecret .Values.llm.apiKey) }}
{{- fail "existingSecret is set, so authSecret and llm.apiKey must be empty: put AUTH_SECRET and LLM_API_KEY in that Secret" }}
{{- end }}
{{- range $component := list "backend" "frontend" }}
{{- $v := index $.Values $component }}
{{- $needed := add $v.preStopSleepSeconds $v.shutdownGraceSeconds }}
{{- if le (int $v.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must exceed %s.preStopSleepSeconds + %s.shutdownGraceSeconds (%d)" $component (int $v.terminationGracePeriodSeconds) $component $component (int $needed)) }}
{{- end }}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) }}
{{- fail (printf "%s.autoscaling.maxReplicas must be >= %s.autoscaling.minReplicas" $component $component) }}
{{- end }}
{{- $fewest := ternary $v.autoscaling.minReplicas $v.replicaCount $v.autoscaling.enabled }}
{{- if and $.Values.podDisruptionBudget.enabled (le (int $fewest) (int $.Values.podDisruptionBudget.minAvailable)) }}
{{- fail (printf "%s would run %d pod(s) with podDisruptionBudget.minAvailable %d, so no node could ever be drained: raise the replicas or set podDisruptionBudget.enabled=false" $component (int $fewest) (int $.Values.podDisruptionBudget.minAvailable)) }}
{{- end }}
{{- end }}
{{- if and .Values.frontend.service.nodePort (ne .Values.frontend.service.type "NodePort") }}
{{- fail "frontend.service.nodePort is set but frontend.service.type is not NodePort" }}
{{- end }}
{{- if and (eq .Values.frontend.service.externalTrafficPolicy "Local") (ne .Values.frontend.service.type "NodePort") }}
{{- fail "frontend.service.externalTrafficPolicy Local needs frontend.service.type NodePort" }}
{{- end }}
{{- end }}
