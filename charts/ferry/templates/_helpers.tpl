{{/* Names and labels shared by every template. */}}
{{- define "ferry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ferry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ferry.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ferry.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ferry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ferry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "ferry.labels" -}}
{{ include "ferry.selectorLabels" . }}
app.kubernetes.io/part-of: ferry
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ferry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ferry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ferry.secretName" -}}
{{- default (printf "%s-secret" (include "ferry.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "ferry.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- with .Values.image.digest }}@{{ . }}{{ end -}}
{{- end -}}

{{/* Fails the render on values that cannot work. */}}
{{- define "ferry.validate" -}}
{{- if not (has .Values.rbac.scope (list "cluster" "namespace")) -}}
{{- fail (printf "rbac.scope must be cluster or namespace, not %q" .Values.rbac.scope) -}}
{{- end -}}
{{- if not (has .Values.ha.mode (list "" "leader-elect" "shards")) -}}
{{- fail (printf "ha.mode must be \"\" (one replica), leader-elect or shards, not %q" .Values.ha.mode) -}}
{{- end -}}
{{- if gt (int .Values.replicas) 1 -}}
{{- if not .Values.ha.mode -}}
{{- fail (printf "replicas: %d replicas need ha.mode (leader-elect or shards) and a PostgreSQL store they share (store.existingSecret); the default SQLite ledger has a single writer" (int .Values.replicas)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ha.mode (not .Values.store.existingSecret) -}}
{{- fail (printf "store.existingSecret: ha.mode %s needs a PostgreSQL store every replica shares (a Secret holding its postgres:// URL); SQLite is one replica's file, a replica taking over would not see the history, manifests or accounts" .Values.ha.mode) -}}
{{- end -}}
{{- if lt (int .Values.ha.shards) 0 -}}
{{- fail "ha.shards: 0 (one per replica) or more" -}}
{{- end -}}
{{- if and (gt (int .Values.ha.shards) 0) (ne .Values.ha.mode "shards") -}}
{{- fail "ha.shards is for ha.mode shards (with leader-elect one replica reconciles every app)" -}}
{{- end -}}
{{- if and (has .Values.service.type (list "LoadBalancer" "NodePort")) (not .Values.service.exposureNote) -}}
{{- fail "service.exposureNote: say why a LoadBalancer/NodePort Service for Ferry is acceptable" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.exposureNote) -}}
{{- fail "ingress.exposureNote: say why exposing Ferry through an Ingress is acceptable" -}}
{{- end -}}
{{- end -}}
