# Start paths (docs/machine.md): -bios firmware ROMs and Multiboot kernels.

# ---- -bios: a ROM image entered at the reset vector ----
# boot/rom.asm checks the reset state, both ROM aliases, the legacy hole and
# RAM, in real and protected mode.  rom_reset also resets the machine twice
# (port 0xCF9, then port 0x92) and passes on the third boot.
function(rz_boot_rom name size)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.rom)
  add_custom_command(OUTPUT ${out}
    COMMAND ${RZ_NASM} -f bin -w+all -I${RZ_GUEST_DIR}/rt/ -DROM_SIZE=${size} ${ARGN}
            -o ${out} ${RZ_GUEST_DIR}/boot/rom.asm
    DEPENDS ${RZ_GUEST_DIR}/boot/rom.asm ${RZ_GUEST_RT_DEPS}
    COMMENT "Assembling firmware ROM ${name}")
  add_custom_target(guest_${name} ALL DEPENDS ${out})
  rz_guest_add_test(${name} -bios ${out})
endfunction()
rz_boot_rom(boot_rom64k 0x10000)
rz_boot_rom(boot_rom256k 0x40000)
rz_boot_rom(boot_rom_reset 0x10000 -DRESET_TEST)

# ---- -kernel with a Multiboot v1 header ----
# boot/multiboot.c on the C runtime, with its own header and entry
# (boot/mb_entry.asm) and link script (boot/mb_link.ld).  The inputs — -m,
# -append, the modules — are written once, into boot_params.h, here.
set(RZ_BOOT_RAM_MB 48)
set(RZ_BOOT_CMDLINE "console=ttyS0 rz.test=multiboot root=/dev/null")
set(RZ_BOOT_MOD_B_LINE "ringzero Multiboot module B 0123456789abcdef\\n")
set(RZ_BOOT_MOD_B_LINES 120)   # 5400 bytes: the module spans two pages
set(RZ_BOOT_GEN ${CMAKE_CURRENT_BINARY_DIR}/boot_gen)
file(MAKE_DIRECTORY ${RZ_BOOT_GEN})
file(WRITE ${RZ_BOOT_GEN}/boot_params.h.in
  "#define RZ_RAM_MB ${RZ_BOOT_RAM_MB}\n"
  "#define MB_CMDLINE \"${RZ_BOOT_CMDLINE}\"\n"
  "#define MOD_B_LINE \"${RZ_BOOT_MOD_B_LINE}\"\n"
  "#define MOD_B_LINES ${RZ_BOOT_MOD_B_LINES}\n")
configure_file(${RZ_BOOT_GEN}/boot_params.h.in ${RZ_BOOT_GEN}/boot_params.h COPYONLY)
string(REPLACE "\\n" "\n" rz_boot_line "${RZ_BOOT_MOD_B_LINE}")
string(REPEAT "${rz_boot_line}" ${RZ_BOOT_MOD_B_LINES} rz_boot_mod_b)
file(WRITE ${RZ_BOOT_GEN}/boot_mod_b.txt.in "${rz_boot_mod_b}")
configure_file(${RZ_BOOT_GEN}/boot_mod_b.txt.in ${CMAKE_CURRENT_BINARY_DIR}/boot_mod_b.txt COPYONLY)

# rz_boot_multiboot(<name> ELF|AOUT): ELF ships the linked ELF and lets the
# loader follow its program headers; AOUT sets header flag bit 16 and ships
# a flat binary, loaded by the header's address fields.
function(rz_boot_multiboot name kind)
  if(NOT RZ_GUEST_CC_OK)
    return()
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${name}.d)
  file(MAKE_DIRECTORY ${dir})
  # The kernel's path as -kernel gives it: the command line's first word.
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  set(image ${elf})
  if(kind STREQUAL "AOUT")
    set(image ${CMAKE_CURRENT_BINARY_DIR}/${name}.bin)
  endif()
  file(WRITE ${dir}/kernel_path.h.in "#define MB_KERNEL_PATH \"${image}\"\n")
  configure_file(${dir}/kernel_path.h.in ${dir}/kernel_path.h COPYONLY)
  set(cflags -m32 -march=i686 -std=gnu11 -O2 -g -Wall -Wextra -ffreestanding -fno-pic -fno-pie
      -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin
      -fno-tree-loop-distribute-patterns -fcf-protection=none -mgeneral-regs-only
      -I${RZ_GUEST_DIR}/rt -I${RZ_BOOT_GEN} -I${dir})
  set(nasmdefs "")
  if(kind STREQUAL "AOUT")
    set(nasmdefs -DAOUT_KLUDGE)
  endif()
  set(objs "")
  foreach(s rt/crt32.asm rt/rt.c rt/rt_paging.c boot/mb_entry.asm boot/multiboot.c)
    get_filename_component(base ${s} NAME)
    set(o ${dir}/${base}.o)
    if(s MATCHES "\\.asm$")
      add_custom_command(OUTPUT ${o}
        COMMAND ${RZ_NASM} -f elf32 -w+all -I${RZ_GUEST_DIR}/rt/ ${nasmdefs} -o ${o} ${RZ_GUEST_DIR}/${s}
        DEPENDS ${RZ_GUEST_DIR}/${s} ${RZ_GUEST_RT_DEPS})
    else()
      add_custom_command(OUTPUT ${o}
        COMMAND ${RZ_GUEST_CC} ${cflags} -c ${RZ_GUEST_DIR}/${s} -o ${o}
        DEPENDS ${RZ_GUEST_DIR}/${s} ${RZ_GUEST_RT_DEPS} ${RZ_BOOT_GEN}/boot_params.h
                ${dir}/kernel_path.h)
    endif()
    list(APPEND objs ${o})
  endforeach()
  set(ld ${RZ_GUEST_DIR}/boot/mb_link.ld)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${RZ_GUEST_CC} -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,norelro
            -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -T ${ld} ${objs} -lgcc -o ${elf}
    DEPENDS ${objs} ${ld}
    COMMENT "Linking Multiboot guest ${name}")
  if(kind STREQUAL "AOUT")
    add_custom_command(OUTPUT ${image}
      COMMAND ${RZ_OBJCOPY} -O binary ${elf} ${image}
      DEPENDS ${elf}
      COMMENT "Flattening Multiboot guest ${name}")
  endif()
  add_custom_target(guest_${name} ALL DEPENDS ${image})
  rz_guest_add_test(${name} -kernel ${image} -m ${RZ_BOOT_RAM_MB}M
    -append "${RZ_BOOT_CMDLINE}"
    -initrd ${RZ_GUEST_DIR}/boot/mod_a.txt,${CMAKE_CURRENT_BINARY_DIR}/boot_mod_b.txt)
endfunction()
rz_boot_multiboot(boot_multiboot_elf ELF)
rz_boot_multiboot(boot_multiboot_aout AOUT)
