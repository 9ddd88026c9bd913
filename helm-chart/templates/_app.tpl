{{/*
Objects shared by the two HTTP services (backend and frontend): same probes, shutdown, security and spread.
Each takes (list $ "<component>" <containerPort>), the Deployment also its readiness path; the component's values
live at .Values.<component>, its environment in the named template "todo-chatbot.<component>.env".
*/}}

{{- define "todo-chatbot.app.deployment" -}}
{{- $ctx := index . 0 }}
{{- $component := index . 1 }}
{{- $port := index . 2 }}
{{- $readinessPath := index . 3 }}
{{- $v := index $ctx.Values $component }}
{{- $name := include "todo-chatbot.componentName" (list $ctx $component) }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
      app.kubernetes.io/component: {{ $component }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $ctx.Template.BasePath "/" $component "/configmap.yaml") $ctx | sha256sum }}
        checksum/secret: {{ include "todo-chatbot.secretChecksum" $ctx }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $port | quote }}
        prometheus.io/path: /metrics
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "todo-chatbot.labels" $ctx | nindent 8 }}
        app.kubernetes.io/component: {{ $component }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "todo-chatbot.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "todo-chatbot.podSecurityContext" 65534 | nindent 8 }}
      # The app closes its listener on SIGTERM and then drains for SHUTDOWN_GRACE_SECS; preStop comes first.
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      topologySpreadConstraints:
        {{- include "todo-chatbot.topologySpreadConstraints" (list $ctx $component) | trim | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "todo-chatbot.image" (list $ctx $v.image) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}
          {{- with include (printf "todo-chatbot.%s.env" $component) $ctx }}
          env:
            {{- . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            httpGet:
              path: {{ $readinessPath }}
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          {{- if gt (int $v.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $v.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "todo-chatbot.containerSecurityContext" 65534 | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 16Mi
{{- end }}

{{- define "todo-chatbot.app.service" -}}
{{- $ctx := index . 0 }}
{{- $component := index . 1 }}
{{- $v := index $ctx.Values $component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "todo-chatbot.componentName" (list $ctx $component) }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  type: {{ $v.service.type | default "ClusterIP" }}
  {{- if eq ($v.service.type | default "ClusterIP") "NodePort" }}
  externalTrafficPolicy: {{ $v.service.externalTrafficPolicy | default "Cluster" }}
  {{- end }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
      {{- with $v.service.nodePort }}
      nodePort: {{ . }}
      {{- end }}
  selector:
    {{- include "todo-chatbot.selectorLabels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
{{- end }}

{{- define "todo-chatbot.app.hpa" -}}
{{- $ctx := index . 0 }}
{{- $component := index . 1 }}
{{- $v := index $ctx.Values $component }}
{{- if $v.autoscaling.enabled }}
{{- $name := include "todo-chatbot.componentName" (list $ctx $component) }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
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
{{- end }}

{{- define "todo-chatbot.app.pdb" -}}
{{- $ctx := index . 0 }}
{{- $component := index . 1 }}
{{- if $ctx.Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "todo-chatbot.componentName" (list $ctx $component) }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  minAvailable: {{ $ctx.Values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
      app.kubernetes.io/component: {{ $component }}
{{- end }}
{{- end }}
