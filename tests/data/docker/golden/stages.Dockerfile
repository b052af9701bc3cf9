FROM --platform=$BUILDPLATFORM golang:1.22 AS builder
RUN go build ./...

from builder As tester
RUN go test ./...

FROM scratch AS empty

FROM alpine:latest
COPY --from=builder /out /bin
COPY --from=0 /out /bin0
COPY --chown=0:0 --from=nginx:1.25 /etc/nginx /etc/nginx
RUN --mount=type=cache,target=/root/.cache \
    --mount=type=bind,from=busybox:1.36,source=/bin/busybox,target=/bb \
    /bb true
RUN --mount=type=bind,from=tester,target=/t true
