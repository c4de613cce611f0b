{{/* Names. */}}
{{- define "nwbstream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nwbstream.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "nwbstream.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "nwbstream.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A component's object name: <fullname>-<component>. Call with (list $ "ecephys"). */}}
{{- define "nwbstream.componentName" -}}
{{- printf "%s-%s" (include "nwbstream.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: selector labels pick one component's pods; the standard ones go on every object. (list $ component) */}}
{{- define "nwbstream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nwbstream.name" (index . 0) }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "nwbstream.labels" -}}
{{- $ := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nwbstream.selectorLabels" . }}
app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $.Release.Service }}
app.kubernetes.io/part-of: nwbstream
{{- end -}}

{{/* <registry>nwbstream-<component>:<tag>. (list $ component) */}}
{{- define "nwbstream.image" -}}
{{- $ := index . 0 -}}
{{- printf "%snwbstream-%s:%s" $.Values.image.registry (index . 1) (default $.Chart.AppVersion $.Values.image.tag) -}}
{{- end -}}

{{- define "nwbstream.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nwbstream.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nwbstream.tlsSecret" -}}
{{- default (printf "%s-tls" (include "nwbstream.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "nwbstream.storeSecret" -}}
{{- default (printf "%s-store" (include "nwbstream.fullname" .)) .Values.store.existingSecret -}}
{{- end -}}

{{- define "nwbstream.outputsClaim" -}}
{{- default (printf "%s-outputs" (include "nwbstream.fullname" .)) .Values.outputs.existingClaim -}}
{{- end -}}

{{/* A modality's settings: serviceDefaults overridden by services.<modality>. (list $ modality) */}}
{{- define "nwbstream.serviceValues" -}}
{{- $ := index . 0 -}}
{{- toYaml (mergeOverwrite (deepCopy $.Values.serviceDefaults) (deepCopy (index $.Values.services (index . 1)))) -}}
{{- end -}}

{{/* The in-cluster DNS name of a modality's headless Service, which the certificate must carry. (list $ modality) */}}
{{- define "nwbstream.serviceHost" -}}
{{- $ := index . 0 -}}
{{- printf "%s-headless.%s.svc" (include "nwbstream.componentName" .) $.Release.Namespace -}}
{{- end -}}

{{/* Pod and container security, the same for every pod. */}}
{{- define "nwbstream.podSecurityContext" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "nwbstream.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end -}}

{{/* Volumes every pod has: /tmp, the TLS material, the labs' data. */}}
{{- define "nwbstream.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmp.sizeLimit }}
- name: tls
  secret:
    secretName: {{ include "nwbstream.tlsSecret" . }}
{{- if .Values.data.existingClaim }}
- name: data
  persistentVolumeClaim:
    claimName: {{ .Values.data.existingClaim }}
{{- end }}
{{- end -}}

{{- define "nwbstream.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: tls
  mountPath: /etc/nwbstream-tls
  readOnly: true
{{- if .Values.data.existingClaim }}
- name: data
  mountPath: {{ .Values.data.mountPath }}
  readOnly: {{ .Values.data.readOnly }}
{{- end }}
{{- end -}}

{{/* The gRPC health probe (docker/healthcheck.py): Kubernetes' grpc probe speaks plaintext only. */}}
{{- define "nwbstream.probes" -}}
{{- $probe := dict "exec" (dict "command" (list "python" "/opt/nwbstream/healthcheck.py")) -}}
{{- $timing := .Values.probes -}}
readinessProbe:
  {{- toYaml (merge (dict) $probe $timing) | nindent 2 }}
livenessProbe:
  {{- toYaml (merge (dict "initialDelaySeconds" (mul $timing.initialDelaySeconds 3)) $probe $timing) | nindent 2 }}
{{- end -}}

{{/* The probe's environment: where this pod serves and the name its certificate carries. (list $ port host) */}}
{{- define "nwbstream.probeEnv" -}}
{{- $ := index . 0 -}}
- name: NWBSTREAM_HEALTH_ADDRESS
  value: {{ printf "127.0.0.1:%v" (index . 1) | quote }}
- name: NWBSTREAM_HEALTH_SERVER_NAME
  value: {{ index . 2 | quote }}
{{- if $.Values.tls.mutual }}
- name: NWBSTREAM_HEALTH_CERT
  value: /etc/nwbstream-tls/tls.crt
- name: NWBSTREAM_HEALTH_KEY
  value: /etc/nwbstream-tls/tls.key
{{- end }}
{{- end -}}

{{/* Secrets whose keys become the environment of the coordinator and its Job pods. */}}
{{- define "nwbstream.envSecrets" -}}
{{- $names := list -}}
{{- if not .Values.store.url }}{{ $names = append $names (include "nwbstream.storeSecret" .) }}{{ end -}}
{{- with .Values.s3.existingSecret }}{{ $names = append $names . }}{{ end -}}
{{- with .Values.dandi.existingSecret }}{{ $names = append $names . }}{{ end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The coordinator's and its Job pods' volumes beyond the common ones: the outputs claim. */}}
{{- define "nwbstream.outputsVolumes" -}}
{{- if not .Values.outputs.s3 }}
- name: outputs
  persistentVolumeClaim:
    claimName: {{ include "nwbstream.outputsClaim" . }}
{{- end }}
{{- end -}}

{{- define "nwbstream.outputsVolumeMounts" -}}
{{- if not .Values.outputs.s3 }}
- name: outputs
  mountPath: {{ .Values.outputs.mountPath }}
{{- end }}
{{- end -}}

{{/* Where a pod may run: nodeSelector, tolerations, affinity of one settings block (a service's, the coordinator's). */}}
{{- define "nwbstream.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "nwbstream.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
