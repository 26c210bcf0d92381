# The tenantkit mock as a container image: a static binary on scratch.
#
#   docker build -t tenantkit-mock .
#   docker run --rm -p 8080:8080 tenantkit-mock
#
# From the host, http://localhost:8080 works as is. Other containers that
# reach it by a service name need that name allowed, since the mock answers
# only Host headers it knows (a guard against DNS rebinding):
#   docker run ... tenantkit-mock --addr :8080 --allowed-hosts mock
# or TENANTKIT_ALLOWED_HOSTS=mock. Flags: docker run tenantkit-mock --help.
#
# No HEALTHCHECK: a scratch image has no shell or curl to run one; probe
# GET /healthz from the orchestrator (it answers any Host).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/mock ./cmd/mock

FROM scratch
COPY --from=build /out/mock /mock
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/mock"]
CMD ["--addr", ":8080"]
