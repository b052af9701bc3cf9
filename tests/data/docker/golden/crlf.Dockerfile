FROM golang:1.22 AS build
RUN echo building \
    && true

FROM \
  alpine:3.19
COPY --from=build /a /a
