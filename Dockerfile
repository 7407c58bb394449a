# Signoff's container image, for those who build with Docker:
#   docker build --platform linux/amd64 --build-arg VERSION=1.0.0 -t signoff:1.0.0 .
# "make image" builds the same image without a daemon (tools/mkimage), and
# tools/mkimage/dockerfile_test.go keeps the two in step: USER, WORKDIR, EXPOSE,
# ENV, ENTRYPOINT and CMD below must match it. SPCS runs linux/amd64 images only.

# The build stage runs natively on the builder's platform and cross-compiles a
# static binary (no cgo, so no libc is needed in the image).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags="-s -w -X main.version=$VERSION" -o /out/signoff ./cmd/signoff
# The rest of the root file system: the nonroot user 65532 and a /tmp it can
# write to (the working directory; the embedded engine's database goes there).
RUN mkdir -p /out/rootfs/etc /out/rootfs/tmp && chmod 1777 /out/rootfs/tmp \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' > /out/rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /out/rootfs/etc/group

FROM --platform=linux/amd64 scratch
COPY --from=build /out/rootfs/ /
# gosnowflake verifies Snowflake's TLS certificates against this bundle.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/signoff /signoff
ARG VERSION=dev
LABEL org.opencontainers.image.title=signoff \
      org.opencontainers.image.source=https://github.com/signoff/signoff \
      org.opencontainers.image.version=$VERSION
USER 65532:65532
WORKDIR /tmp
EXPOSE 8080
ENV SIGNOFF_ADDR=0.0.0.0:8080 SIGNOFF_LOG_FORMAT=json
ENTRYPOINT ["/signoff"]
CMD ["serve"]
