# Continuations: the image may follow on the next line, comments inside are dropped.
FROM \
    # the build image
    golang:1.22 \
    AS build
RUN go version && \
    echo "FROM alpine:3.19 in a RUN is not an image"

FROM alpine:3.19
COPY --from=build \
     /go/bin /usr/local/bin
