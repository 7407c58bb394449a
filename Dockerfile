# Signoff's container image: a static binary on an empty base, run as non-root.
# Built without a Docker daemon by "make image" (the Snowflake issue); this
# Dockerfile describes the same image for anyone with Docker. Until the Snowflake
# engine lands, the binary runs only the embedded engine, which refuses the
# non-loopback address below: the image is not deployable yet.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o /out/signoff ./cmd/signoff

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/signoff /signoff
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/signoff"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
