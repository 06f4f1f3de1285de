FROM alpine:3.20 AS shellform
ENTRYPOINT /bin/app --flag "$HOME"
CMD echo default "$HOME"

FROM shellform
ENTRYPOINT ["/bin/app"]
CMD ["--help"]
ENTRYPOINT []
