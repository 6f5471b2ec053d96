*SENSE:Minimize
NAME          reference_trace
ROWS
 N  cost
 E  expert_0
 E  expert_1
 E  expert_2
 E  expert_3
 E  candidate_1
 E  candidate_2
 E  candidate_3
 E  candidate_5
 G  set_0_e0
 G  set_0_e1
 G  set_1_e0
 G  set_1_e2
 G  set_2_e0
 G  set_2_e3
 G  set_3_e1
 G  set_3_e2
 G  set_4_e2
 G  set_4_e3
 G  set_5_e1
 G  set_5_e3
COLUMNS
    MARK      'MARKER'                 'INTORG'
    x_0_1     expert_0   1.000000000000e+00
    x_0_1     candidate_1   1.000000000000e+00
    x_0_1     set_0_e0  -1.430000000000e-02
    x_0_1     set_1_e0  -1.430000000000e-02
    x_0_1     set_2_e0  -1.430000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_2     expert_0   1.000000000000e+00
    x_0_2     candidate_2   1.000000000000e+00
    x_0_2     set_0_e0  -2.050000000000e-02
    x_0_2     set_1_e0  -2.050000000000e-02
    x_0_2     set_2_e0  -2.050000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_3     expert_0   1.000000000000e+00
    x_0_3     candidate_3   1.000000000000e+00
    x_0_3     set_0_e0  -1.080000000000e-02
    x_0_3     set_1_e0  -1.080000000000e-02
    x_0_3     set_2_e0  -1.080000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_5     expert_0   1.000000000000e+00
    x_0_5     candidate_5   1.000000000000e+00
    x_0_5     set_0_e0  -1.930000000000e-02
    x_0_5     set_1_e0  -1.930000000000e-02
    x_0_5     set_2_e0  -1.930000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_1     expert_1   1.000000000000e+00
    x_1_1     candidate_1   1.000000000000e+00
    x_1_1     set_0_e1  -1.430000000000e-02
    x_1_1     set_3_e1  -1.430000000000e-02
    x_1_1     set_5_e1  -1.430000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_2     expert_1   1.000000000000e+00
    x_1_2     candidate_2   1.000000000000e+00
    x_1_2     set_0_e1  -2.050000000000e-02
    x_1_2     set_3_e1  -2.050000000000e-02
    x_1_2     set_5_e1  -2.050000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_3     expert_1   1.000000000000e+00
    x_1_3     candidate_3   1.000000000000e+00
    x_1_3     set_0_e1  -1.080000000000e-02
    x_1_3     set_3_e1  -1.080000000000e-02
    x_1_3     set_5_e1  -1.080000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_5     expert_1   1.000000000000e+00
    x_1_5     candidate_5   1.000000000000e+00
    x_1_5     set_0_e1  -1.930000000000e-02
    x_1_5     set_3_e1  -1.930000000000e-02
    x_1_5     set_5_e1  -1.930000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_1     expert_2   1.000000000000e+00
    x_2_1     candidate_1   1.000000000000e+00
    x_2_1     set_1_e2  -1.430000000000e-02
    x_2_1     set_3_e2  -1.430000000000e-02
    x_2_1     set_4_e2  -1.430000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_2     expert_2   1.000000000000e+00
    x_2_2     candidate_2   1.000000000000e+00
    x_2_2     set_1_e2  -2.050000000000e-02
    x_2_2     set_3_e2  -2.050000000000e-02
    x_2_2     set_4_e2  -2.050000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_3     expert_2   1.000000000000e+00
    x_2_3     candidate_3   1.000000000000e+00
    x_2_3     set_1_e2  -1.080000000000e-02
    x_2_3     set_3_e2  -1.080000000000e-02
    x_2_3     set_4_e2  -1.080000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_5     expert_2   1.000000000000e+00
    x_2_5     candidate_5   1.000000000000e+00
    x_2_5     set_1_e2  -1.930000000000e-02
    x_2_5     set_3_e2  -1.930000000000e-02
    x_2_5     set_4_e2  -1.930000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_1     expert_3   1.000000000000e+00
    x_3_1     candidate_1   1.000000000000e+00
    x_3_1     set_2_e3  -1.430000000000e-02
    x_3_1     set_4_e3  -1.430000000000e-02
    x_3_1     set_5_e3  -1.430000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_2     expert_3   1.000000000000e+00
    x_3_2     candidate_2   1.000000000000e+00
    x_3_2     set_2_e3  -2.050000000000e-02
    x_3_2     set_4_e3  -2.050000000000e-02
    x_3_2     set_5_e3  -2.050000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_3     expert_3   1.000000000000e+00
    x_3_3     candidate_3   1.000000000000e+00
    x_3_3     set_2_e3  -1.080000000000e-02
    x_3_3     set_4_e3  -1.080000000000e-02
    x_3_3     set_5_e3  -1.080000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_5     expert_3   1.000000000000e+00
    x_3_5     candidate_5   1.000000000000e+00
    x_3_5     set_2_e3  -1.930000000000e-02
    x_3_5     set_4_e3  -1.930000000000e-02
    x_3_5     set_5_e3  -1.930000000000e-02
    MARK      'MARKER'                 'INTEND'
    z_0       set_0_e0   1.000000000000e+00
    z_0       set_0_e1   1.000000000000e+00
    z_0       cost       3.750000000000e-01
    z_1       set_1_e0   1.000000000000e+00
    z_1       set_1_e2   1.000000000000e+00
    z_1       cost       2.250000000000e-01
    z_2       set_2_e0   1.000000000000e+00
    z_2       set_2_e3   1.000000000000e+00
    z_2       cost       1.750000000000e-01
    z_3       set_3_e1   1.000000000000e+00
    z_3       set_3_e2   1.000000000000e+00
    z_3       cost       1.000000000000e-01
    z_4       set_4_e2   1.000000000000e+00
    z_4       set_4_e3   1.000000000000e+00
    z_4       cost       2.500000000000e-02
    z_5       set_5_e1   1.000000000000e+00
    z_5       set_5_e3   1.000000000000e+00
    z_5       cost       1.000000000000e-01
RHS
    RHS       expert_0   1.000000000000e+00
    RHS       expert_1   1.000000000000e+00
    RHS       expert_2   1.000000000000e+00
    RHS       expert_3   1.000000000000e+00
    RHS       candidate_1   1.000000000000e+00
    RHS       candidate_2   1.000000000000e+00
    RHS       candidate_3   1.000000000000e+00
    RHS       candidate_5   1.000000000000e+00
    RHS       set_0_e0   0.000000000000e+00
    RHS       set_0_e1   0.000000000000e+00
    RHS       set_1_e0   0.000000000000e+00
    RHS       set_1_e2   0.000000000000e+00
    RHS       set_2_e0   0.000000000000e+00
    RHS       set_2_e3   0.000000000000e+00
    RHS       set_3_e1   0.000000000000e+00
    RHS       set_3_e2   0.000000000000e+00
    RHS       set_4_e2   0.000000000000e+00
    RHS       set_4_e3   0.000000000000e+00
    RHS       set_5_e1   0.000000000000e+00
    RHS       set_5_e3   0.000000000000e+00
BOUNDS
 BV BND       x_0_1   
 BV BND       x_0_2   
 BV BND       x_0_3   
 BV BND       x_0_5   
 BV BND       x_1_1   
 BV BND       x_1_2   
 BV BND       x_1_3   
 BV BND       x_1_5   
 BV BND       x_2_1   
 BV BND       x_2_2   
 BV BND       x_2_3   
 BV BND       x_2_5   
 BV BND       x_3_1   
 BV BND       x_3_2   
 BV BND       x_3_3   
 BV BND       x_3_5   
 FR BND       z_0     
 FR BND       z_1     
 FR BND       z_2     
 FR BND       z_3     
 FR BND       z_4     
 FR BND       z_5     
ENDATA
