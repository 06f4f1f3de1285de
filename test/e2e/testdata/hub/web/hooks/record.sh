# Sourced by every hook: appends the hook's name and the Docker Hub
# variables it sees to $RECORD, for the test to compare.
{
  echo "hook=${0##*/}"
  for v in SOURCE_BRANCH SOURCE_COMMIT COMMIT_MSG DOCKER_REPO DOCKERFILE_PATH DOCKER_TAG IMAGE_NAME CACHE_TAG BUILD_PATH; do
    eval "echo \"  $v=\${$v}\""
  done
  echo "  pwd=$PWD"
} >> "$RECORD"
