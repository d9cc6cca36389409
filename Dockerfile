# Multi-stage build: one image runs either process (api or worker), chosen by the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/builder/package.json apps/builder/
COPY libs/flow-schema/package.json libs/flow-schema/
COPY libs/engine/package.json libs/engine/
COPY libs/embed/package.json libs/embed/
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/apps/api/package.json apps/api/
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/builder/dist apps/builder/dist
COPY --from=build /app/libs/embed/dist libs/embed/dist
COPY --from=build /app/libs/flow-schema/package.json libs/flow-schema/
COPY --from=build /app/libs/flow-schema/dist libs/flow-schema/dist
COPY --from=build /app/libs/engine/package.json libs/engine/
COPY --from=build /app/libs/engine/dist libs/engine/dist
USER node
EXPOSE 3000
CMD ["node", "apps/api/dist/main.js"]
