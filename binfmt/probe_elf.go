package binfmt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// probeCode is, per QEMU CPU name, the machine code of a program that calls
// exit_group(0) and nothing else. ProbeProgram wraps it in a minimal static
// ELF executable (one PT_LOAD segment, ~130 bytes). Generating the probes
// from these few documented instructions keeps them reproducible and
// reviewable, with no binary blobs and no cross toolchain needed.
type probeCode struct {
	class   elf.Class
	order   byteOrder
	machine elf.Machine
	flags   uint32
	words   []uint32 // fixed-width instructions, stored in order's byte order
	bytes   []byte   // variable-width instructions (x86, s390x)
	ppcDesc bool     // ELFv1: e_entry points at a function descriptor
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func probeCodeFor(cpu string) (probeCode, bool) {
	le, be := binary.LittleEndian, binary.BigEndian
	switch cpu {
	case "aarch64": // movz x0,#0; movz x8,#94 (exit_group); svc #0
		return probeCode{elf.ELFCLASS64, le, elf.EM_AARCH64, 0, []uint32{0xd2800000, 0xd2800bc8, 0xd4000001}, nil, false}, true
	case "arm": // mov r0,#0; mov r7,#248 (exit_group); svc #0 — EABI5 so r7 carries the number
		return probeCode{elf.ELFCLASS32, le, elf.EM_ARM, 0x05000400, []uint32{0xe3a00000, 0xe3a070f8, 0xef000000}, nil, false}, true
	case "ppc64le": // li r0,234 (exit_group); li r3,0; sc — ELFv2
		return probeCode{elf.ELFCLASS64, le, elf.EM_PPC64, 2, []uint32{0x380000ea, 0x38600000, 0x44000002}, nil, false}, true
	case "ppc64": // the same, big-endian ELFv1 (entry through a function descriptor)
		return probeCode{elf.ELFCLASS64, be, elf.EM_PPC64, 1, []uint32{0x380000ea, 0x38600000, 0x44000002}, nil, true}, true
	case "s390x": // lghi %r2,0; svc 248 (exit_group); nopr
		return probeCode{elf.ELFCLASS64, be, elf.EM_S390, 0, nil, []byte{0xa7, 0x29, 0x00, 0x00, 0x0a, 0xf8, 0x07, 0x07}, false}, true
	case "riscv64": // li a0,0; li a7,94 (exit_group); ecall
		return probeCode{elf.ELFCLASS64, le, elf.EM_RISCV, 0x5, []uint32{0x00000513, 0x05e00893, 0x00000073}, nil, false}, true
	case "mips64el", "mips64": // ori v0,zero,5205 (n64 exit_group); ori a0,zero,0; syscall
		order := byteOrder(le)
		if cpu == "mips64" {
			order = be
		}
		return probeCode{elf.ELFCLASS64, order, elf.EM_MIPS, 0x80000000, []uint32{0x34021455, 0x34040000, 0x0000000c}, nil, false}, true
	case "loongarch64": // addi.w a0,zero,0; addi.w a7,zero,94 (exit_group); syscall 0
		return probeCode{elf.ELFCLASS64, le, elf.EM_LOONGARCH, 0x43, []uint32{0x02800004, 0x0281780b, 0x002b0000}, nil, false}, true
	case "i386": // mov eax,252 (exit_group); xor ebx,ebx; int 0x80
		return probeCode{elf.ELFCLASS32, le, elf.EM_386, 0, nil, []byte{0xb8, 0xfc, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80}, false}, true
	case "x86_64": // mov eax,231 (exit_group); xor edi,edi; syscall
		return probeCode{elf.ELFCLASS64, le, elf.EM_X86_64, 0, nil, []byte{0xb8, 0xe7, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}, false}, true
	}
	return probeCode{}, false
}

// ProbeProgram returns a static ELF executable for cpu that exits 0, or false
// when polyarch has no probe for that CPU.
func ProbeProgram(cpu string) ([]byte, bool) {
	c, ok := probeCodeFor(cpu)
	if !ok {
		return nil, false
	}
	code := c.bytes
	for _, w := range c.words {
		code = c.order.AppendUint32(code, w)
	}
	if c.class == elf.ELFCLASS64 {
		return elf64(c, code), true
	}
	return elf32(c, code), true
}

const (
	base64 = 0x400000
	base32 = 0x10000
)

func elf64(c probeCode, code []byte) []byte {
	const ehsize, phsize = 64, 56
	entry := uint64(base64 + ehsize + phsize)
	if c.ppcDesc { // descriptor {code address, TOC, env} placed after the code
		for len(code)%8 != 0 {
			code = append(code, 0)
		}
		desc := entry + uint64(len(code))
		code = c.order.AppendUint64(code, entry)
		code = append(code, make([]byte, 16)...)
		entry = desc
	}
	total := uint64(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write(ident(elf.ELFCLASS64, c.order))
	w := func(v any) { _ = binary.Write(&b, c.order, v) }
	w(uint16(elf.ET_EXEC))
	w(uint16(c.machine))
	w(uint32(elf.EV_CURRENT))
	w(entry)
	w(uint64(ehsize)) // e_phoff
	w(uint64(0))      // e_shoff
	w(c.flags)
	w([]uint16{ehsize, phsize, 1, 64, 0, 0}) // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
	w(uint32(elf.PT_LOAD))
	w(uint32(elf.PF_R | elf.PF_X))
	w([]uint64{0, base64, base64, total, total, 0x1000}) // offset, vaddr, paddr, filesz, memsz, align
	b.Write(code)
	return b.Bytes()
}

func elf32(c probeCode, code []byte) []byte {
	const ehsize, phsize = 52, 32
	total := uint32(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write(ident(elf.ELFCLASS32, c.order))
	w := func(v any) { _ = binary.Write(&b, c.order, v) }
	w(uint16(elf.ET_EXEC))
	w(uint16(c.machine))
	w(uint32(elf.EV_CURRENT))
	w(uint32(base32 + ehsize + phsize)) // e_entry
	w(uint32(ehsize))                   // e_phoff
	w(uint32(0))                        // e_shoff
	w(c.flags)
	w([]uint16{ehsize, phsize, 1, 40, 0, 0})
	w([]uint32{uint32(elf.PT_LOAD), 0, base32, base32, total, total, uint32(elf.PF_R | elf.PF_X), 0x1000})
	b.Write(code)
	return b.Bytes()
}

func ident(class elf.Class, order byteOrder) []byte {
	id := []byte{0x7f, 'E', 'L', 'F', byte(class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE), 0, 0, 0, 0, 0, 0, 0, 0}
	if order == byteOrder(binary.BigEndian) {
		id[5] = byte(elf.ELFDATA2MSB)
	}
	return id
}
