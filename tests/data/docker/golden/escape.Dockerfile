# escape=`

FROM `
  debian:12 AS base
RUN echo C:\path\not\a\continuation
FROM busybox
