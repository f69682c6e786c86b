# syntax=docker/dockerfile:1
# Multi-stage build: a static coopbot binary (locales and migrations are embedded) in a
# minimal image, run as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/coopbot ./cmd/coopbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/coopbot /coopbot
USER nonroot:nonroot
EXPOSE 8080
ENV HTTP_ADDR=:8080
ENTRYPOINT ["/coopbot"]
CMD ["serve"]
