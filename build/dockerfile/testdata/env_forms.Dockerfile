FROM alpine:3.20
ENV A=1
ENV B 2
ENV C="three words" D=four\ words
ENV A=changed E=$A
ENV PATH=/opt/bin:$PATH
ENV MULTI="line one \
line two"
ENV EMPTY=
RUN env
