# syntax=docker/dockerfile:1
# divblur's CPU image: one image for the API, the trainer and the inference service (docker-compose.yml starts each
# by its npm script). Node 24 (the current LTS) on Debian bookworm with Debian's oneDNN, so that `npm ci` builds
# libs/tfjs-native's kernels, the fast CPU training path. The build stage has the compilers; the image keeps only the
# libraries the addon links (libdnnl2, which brings libgomp1 and the OpenCL loader).
FROM node:24-bookworm AS build
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libdnnl-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp builds against this image's own Node headers instead of downloading them. onnxruntime-node's postinstall
# (the CUDA provider, for a GPU this image does not use) is denied in package.json's allowScripts; the variable keeps it
# off with an npm that predates allowScripts too.
ENV npm_config_nodedir=/usr/local ONNXRUNTIME_NODE_INSTALL=skip
COPY . .
# Fail the build, not the first training run, if the oneDNN addon did not build. The GPU build of libtensorflow
# (an optional dependency, for Dockerfile.gpu) is removed: this image trains on oneDNN.
RUN npm ci \
  && test -f libs/tfjs-native/build/Release/divblur_tfjs_native.node \
  && rm -rf node_modules/@tensorflow/tfjs-node-gpu

FROM node:24-bookworm-slim
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libdnnl2 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
USER node
CMD ["npm", "run", "api"]
