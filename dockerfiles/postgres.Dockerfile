# The in-cluster PostgreSQL image, unchanged: the program builds this one-line Dockerfile only to copy
# the pinned upstream image (POSTGRES_IMAGE, from the chart's values.yaml or the postgresImage
# setting) into the stack's registry, so the cluster pulls it by digest like the app images.
ARG POSTGRES_IMAGE
# The image reference (with its tag or digest) is the build arg itself, set by the program.
# hadolint ignore=DL3006
FROM ${POSTGRES_IMAGE}
