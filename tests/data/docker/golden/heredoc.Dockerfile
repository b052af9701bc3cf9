# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<EOF
FROM nginx:1.25
echo that was a heredoc line
EOF

COPY <<EOF /etc/motd
FROM debian:12
EOF

RUN cat /etc/motd
FROM busybox:1.36
